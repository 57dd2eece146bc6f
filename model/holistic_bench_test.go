package model

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Holistic benchmarks. Frames are 640x480 JPEG bytes, decoded in the loop as a camera's would
// be: the real footage of testdata/video (pedestrians: the face detector runs every frame but
// the faces and hands are mostly too small for the landmark models), and the two consecutive
// basketball photos, 640x480, re-encoded as JPEG and alternated, where every model runs on every
// frame (a face and both hands, or one hand and a failed one): the budget case.

// basketballFrames returns basketball1.png and basketball2.png as JPEG bytes (quality 90).
func basketballFrames(b *testing.B) [][]byte {
	b.Helper()
	var out [][]byte
	for _, name := range []string{"basketball1.png", "basketball2.png"} {
		img := loadImage(b, "../testdata/images/"+name)
		rgba := image.NewRGBA(image.Rect(0, 0, img.Width, img.Height))
		for i := 0; i < img.Width*img.Height; i++ {
			copy(rgba.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
			rgba.Pix[4*i+3] = 255
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 90}); err != nil {
			b.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// BenchmarkHolisticTrackFrame is the budgeted number for Holistic: video mode, JPEG bytes in,
// pose, face and hands out, decode included. basketball-refined is the budget case with
// refine_face_landmarks (HolisticRefined).
func BenchmarkHolisticTrackFrame(b *testing.B) {
	for _, seq := range []struct {
		name   string
		frames func(*testing.B) [][]byte
		kind   Kind
		opts   []Option
	}{
		{"footage", videoFrames, Holistic, nil},
		{"basketball", basketballFrames, Holistic, nil},
		{"basketball-refined", basketballFrames, HolisticRefined, nil},
		// The branches one after the other; the cases above run them at once when the process
		// may use more than one CPU (not under taskset -c 0): what that saves one stream.
		{"footage-sequential", videoFrames, Holistic, []Option{WithSequentialBranches(true)}},
		{"basketball-sequential", basketballFrames, Holistic, []Option{WithSequentialBranches(true)}},
	} {
		b.Run(seq.name, func(b *testing.B) {
			frames := seq.frames(b)
			l := openForTest(b, seq.kind, seq.opts...)
			var tr Track
			var hands, faces, detections int
			var stages Timings
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				img, _, err := pixels.DecodeImage(frames[i%len(frames)], 0)
				if err != nil {
					b.Fatal(err)
				}
				res, err := l.Track(img, &tr, time.Duration(i)*33333*time.Microsecond)
				if err != nil {
					b.Fatal(err)
				}
				if res.DetectorRan {
					detections++
				}
				if res.Face != nil {
					faces++
				}
				if res.LeftHand != nil {
					hands++
				}
				if res.RightHand != nil {
					hands++
				}
				stages.Detect += res.Timings.Detect
				stages.Landmarks += res.Timings.Landmarks
				stages.Hands += res.Timings.Hands
				stages.Face += res.Timings.Face
			}
			n := float64(b.N)
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/n, "ms/frame")
			b.ReportMetric(float64(stages.Detect.Microseconds())/1000/n, "pose-detect-ms/frame")
			b.ReportMetric(float64(stages.Landmarks.Microseconds())/1000/n, "pose-ms/frame")
			b.ReportMetric(float64(stages.Hands.Microseconds())/1000/n, "hands-ms/frame")
			b.ReportMetric(float64(stages.Face.Microseconds())/1000/n, "face-ms/frame")
			b.ReportMetric(float64(hands)/n, "hands/frame")
			b.ReportMetric(float64(faces)/n, "faces/frame")
			b.ReportMetric(float64(detections)/n, "detections/frame")
		})
	}
}

// BenchmarkHolisticStages times each holistic model stage alone on basketball2.png (640x480),
// with the ROIs the pipeline computes for it: the face detector (crop, invoke, decode, NMS),
// face_landmark, face_landmark_with_attention (crop, invoke with our custom ops, and the 478-point
// merge and projection), hand_recrop and hand_landmark_full (crop and invoke each), and the face
// and hand branches together on a given pose (ROI math included), also with refined face
// landmarks.
func BenchmarkHolisticStages(b *testing.B) {
	l := openForTest(b, Holistic)
	img := loadImage(b, "../testdata/images/basketball2.png")
	res, err := l.Detect(img)
	if err != nil || res.Pose == nil || res.Face == nil || res.RightHand == nil {
		b.Fatalf("basketball2.png: %v, pose %v face %v right hand %v", err, res.Pose != nil, res.Face != nil, res.RightHand != nil)
	}
	w := l.all[0].hol
	W, H := img.Width, img.Height
	var facePts [numFaceFromPose]Point
	for i := range facePts {
		facePts[i] = landmarkPoint(res.Pose.Landmarks[i])
	}
	faceFromPose := FaceROIFromPose(facePts[:], W, H)
	p := res.Pose.Landmarks
	handFromPose := HandROIFromPose(landmarkPoint(p[16]), landmarkPoint(p[18]), landmarkPoint(p[20]), W, H)
	stage := func(name string, f func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	stage("face-detector", func() error {
		if err := Crop(img, faceFromPose, w.faceDet.input, faceDetectorInput, faceDetectorInput, -1, 1, BorderZero); err != nil {
			return err
		}
		if err := w.faceDet.invoke(); err != nil {
			return err
		}
		w.dets = DecodeDetections(w.faceDet.outputs[0], w.faceDet.outputs[1], l.faceAnchors, FaceDetectorDecode(), w.dets[:0])
		WeightedNMS(w.dets, faceNMSThreshold)
		return nil
	})
	stage("face-landmark", func() error {
		if err := CropStretched(img, res.Face.ROI, w.faceLm.input, faceLandmarkInput, faceLandmarkInput, 0, 1, BorderReplicate); err != nil {
			return err
		}
		return w.faceLm.invoke()
	})
	refined := openForTest(b, HolisticRefined)
	wr := refined.all[0].hol
	face := make([]Landmark, NumRefinedFaceLandmarks)
	stage("face-landmark-attention", func() error {
		if err := CropStretched(img, res.Face.ROI, wr.faceLm.input, faceLandmarkInput, faceLandmarkInput, 0, 1, BorderReplicate); err != nil {
			return err
		}
		if err := wr.faceLm.invoke(); err != nil {
			return err
		}
		RefineFaceLandmarks(wr.faceLm.outputs, face)
		ProjectLandmarks(face, res.Face.ROI)
		return nil
	})
	stage("hand-recrop", func() error {
		if err := Crop(img, handFromPose, w.hands[0].recrop.input, handRecropInput, handRecropInput, 0, 1, BorderReplicate); err != nil {
			return err
		}
		return w.hands[0].recrop.invoke()
	})
	stage("hand-landmark", func() error {
		if err := Crop(img, res.RightHand.ROI, w.hands[0].hand.input, handLandmarkInput, handLandmarkInput, 0, 1, BorderReplicate); err != nil {
			return err
		}
		return w.hands[0].hand.invoke()
	})
	stage("branches", func() error {
		r := Result{Pose: res.Pose}
		return w.holistic(l, img, &r, nil)
	})
	stage("branches-refined", func() error {
		r := Result{Pose: res.Pose}
		if err := wr.holistic(refined, img, &r, nil); err != nil {
			return err
		}
		if r.Face == nil || len(r.Face.Landmarks) != NumRefinedFaceLandmarks {
			return fmt.Errorf("refined branches found no 478-point face")
		}
		return nil
	})
}

// BenchmarkHolisticStreams is the whole machine busy: two cameras' streams (the basketball pair,
// each with its own Track) on a Landmarker of two workers, branches at once or one after the
// other. Running the branches at once must not cost throughput when every core already has a
// frame. Reports frames per second over both streams.
func BenchmarkHolisticStreams(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []Option
	}{{"parallel", []Option{WithSequentialBranches(false)}}, {"sequential", []Option{WithSequentialBranches(true)}}} {
		b.Run(mode.name, func(b *testing.B) {
			frames := basketballFrames(b)
			l := openForTest(b, Holistic, append(mode.opts, WithWorkers(2))...)
			b.ResetTimer()
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for s := 0; s < 2; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var tr Track
					for i := 0; i < b.N; i++ {
						img, _, err := pixels.DecodeImage(frames[(i+s)%len(frames)], 0)
						if err == nil {
							_, err = l.Track(img, &tr, time.Duration(i)*33333*time.Microsecond)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "fps")
		})
	}
}
