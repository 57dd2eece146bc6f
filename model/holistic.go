package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/holostream/holostream/pixels"
)

// MediaPipe Holistic (mediapipe/modules/holistic_landmark/holistic_landmark_cpu.pbtxt): the pose
// pipeline with model_complexity 1, whose landmarks (smoothed in video mode) feed three
// independent branches, left hand, right hand and face. Nothing feeds back into the pose, and the
// face and hand landmarks are not smoothed. Each branch's file names the MediaPipe graph it
// follows (hand_landmarks_from_pose_cpu.pbtxt, face_landmarks_from_pose_cpu.pbtxt and their
// sub-graphs under mediapipe/modules/holistic_landmark/).

// Face is the face mesh of one person: NumFaceLandmarks landmarks (NumRefinedFaceLandmarks with
// HolisticRefined, the irises last) normalized like Landmark (x and y by the image's width and
// height, z in units of x, relative to the face's centre). Visibility and Presence are 0: the
// model gives neither, as MediaPipe's face_landmarks carry none.
type Face struct {
	Landmarks []Landmark
	// ROI is the rotated rectangle face_landmark saw.
	ROI Rect
}

// Hand is one hand: 21 landmarks normalized like Landmark (z relative to the wrist, in units of
// x; Visibility and Presence 0), and the same points in metres about the hand's centre.
type Hand struct {
	Landmarks [NumHandLandmarks]Landmark
	World     [NumHandLandmarks]WorldLandmark
	// ROI is the rotated rectangle hand_landmark_full saw.
	ROI Rect
}

// holisticWorker owns one interpreter per holistic model beyond the pose's, and scratch buffers.
type holisticWorker struct {
	faceDet, faceLm *interpreter
	// hands are the hand models: hands[0] serves the left hand, and the right too when the
	// branches run one after the other; hands[1] serves the right hand when they run at once.
	hands [2]*handInterpreters
	// refined is refine_face_landmarks: faceLm is face_landmark_with_attention.
	refined bool
	dets    []Detection
	facePts [numFaceFromPose]Point
}

// handInterpreters are one set of the hand branch's models.
type handInterpreters struct{ recrop, hand *interpreter }

// parallel reports whether the worker runs its three branches at once.
func (h *holisticWorker) parallel() bool { return h.hands[1] != nil }

// holisticNets are the models of the face and hand branches, in the order Open loads them.
type holisticNets struct {
	faceDet, faceLm, recrop, hand *network
	refined                       bool
}

// faceLandmarkModel is the face landmark model face_landmark_cpu.pbtxt picks: with attention
// (and MediaPipe's custom ops, attention_ops.c, run through tflite_capi.go) when refined.
func faceLandmarkModel(refined bool) string {
	if refined {
		return "face_landmark_with_attention"
	}
	return "face_landmark"
}

func loadHolisticNets(dir string, refined bool) (holisticNets, error) {
	n := holisticNets{refined: refined}
	// The attention model holds MediaPipe's custom ops: it loads through the C API.
	loadFaceLm := loadNetwork
	if refined {
		loadFaceLm = loadCustomNetwork
	}
	for _, f := range []struct {
		name string
		dst  **network
		load func(path, name string) (*network, error)
	}{
		{"face_detection_short_range", &n.faceDet, loadNetwork},
		{faceLandmarkModel(refined), &n.faceLm, loadFaceLm},
		{"hand_recrop", &n.recrop, loadNetwork},
		{"hand_landmark_full", &n.hand, loadNetwork},
	} {
		net, err := f.load(filepath.Join(dir, f.name+".tflite"), f.name)
		if err != nil {
			for _, m := range n.all() {
				m.close()
			}
			return holisticNets{}, err
		}
		*f.dst = net
	}
	return n, nil
}

// all lists the loaded models.
func (n holisticNets) all() []*network {
	var out []*network
	for _, m := range []*network{n.faceDet, n.faceLm, n.recrop, n.hand} {
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// newHolisticWorker builds the worker's interpreters; parallel gives it a second set of hand
// models, so that the left hand, the right hand and the face can run at once.
func newHolisticWorker(n holisticNets, threads int, parallel bool) (*holisticWorker, error) {
	h := &holisticWorker{refined: n.refined}
	var err error
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if h.faceDet, err = newInterpreter(n.faceDet, threads,
		tensorSpec{"input", []int{1, faceDetectorInput, faceDetectorInput, 3}},
		[]tensorSpec{
			{"regressors", []int{1, faceDetectorBoxes, 16}},
			{"classificators", []int{1, faceDetectorBoxes, 1}},
		}); err != nil {
		return nil, err
	}
	faceOuts := []tensorSpec{
		{"conv2d_21", []int{1, 1, 1, 3 * NumFaceLandmarks}},
		{"conv2d_31", []int{1, 1, 1, 1}}, // face flag, a logit
	}
	if n.refined {
		// In attentionMesh ... attentionFaceFlag order; x, y (and z for the mesh) in 192-pixel units.
		faceOuts = []tensorSpec{
			{"output_mesh_identity", []int{1, 1, 1, 3 * NumFaceLandmarks}},
			{"output_lips", []int{1, 1, 1, 2 * len(faceLipsIndices)}},
			{"output_left_eye", []int{1, 1, 1, 2 * len(faceLeftEyeIndices)}},
			{"output_right_eye", []int{1, 1, 1, 2 * len(faceRightEyeIndices)}},
			{"output_left_iris", []int{1, 1, 1, 2 * numIrisLandmarks}},
			{"output_right_iris", []int{1, 1, 1, 2 * numIrisLandmarks}},
			{"conv_faceflag", []int{1, 1, 1, 1}},
		}
	}
	if h.faceLm, err = newInterpreter(n.faceLm, threads,
		tensorSpec{"input_1", []int{1, faceLandmarkInput, faceLandmarkInput, 3}}, faceOuts); err != nil {
		return nil, err
	}
	sets := 1
	if parallel {
		sets = 2
	}
	for i := 0; i < sets; i++ {
		hs := &handInterpreters{}
		h.hands[i] = hs
		if hs.recrop, err = newInterpreter(n.recrop, threads,
			tensorSpec{"input_1", []int{1, handRecropInput, handRecropInput, 3}},
			[]tensorSpec{{"output_crop", []int{1, 1, 1, 4}}}); err != nil {
			return nil, err
		}
		if hs.hand, err = newInterpreter(n.hand, threads,
			tensorSpec{"input_1", []int{1, handLandmarkInput, handLandmarkInput, 3}},
			[]tensorSpec{
				{"Identity", []int{1, 3 * NumHandLandmarks}},   // landmarks, 224-pixel units
				{"Identity_1", []int{1, 1}},                    // presence, a probability
				{"Identity_2", []int{1, 1}},                    // handedness, unused by holistic
				{"Identity_3", []int{1, 3 * NumHandLandmarks}}, // world landmarks, metres
			}); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *holisticWorker) close() {
	ips := []*interpreter{h.faceDet, h.faceLm}
	for _, hs := range h.hands {
		if hs != nil {
			ips = append(ips, hs.recrop, hs.hand)
		}
	}
	for _, ip := range ips {
		if ip != nil {
			ip.close()
		}
	}
}

// holistic runs the hand and face branches on the pose in res (already smoothed in video mode)
// and fills res's Face, LeftHand and RightHand. tr holds each branch's landmarks from the
// previous frame; nil is image mode, where every branch starts afresh.
func (h *holisticWorker) holistic(l *Landmarker, img pixels.Image, res *Result, tr *Track) error {
	var fresh Track
	if tr == nil {
		tr = &fresh
	}
	p := res.Pose
	if p == nil {
		tr.forgetHolistic() // no pose, no branch: the next frame has no previous landmarks
		return nil
	}
	if h.parallel() {
		return h.holisticParallel(l, img, res, tr)
	}
	start := time.Now()
	var err error
	res.LeftHand, tr.LeftHandLandmarks, err = h.hands[0].handBranch(img, p, leftHandFromPose, tr.LeftHandLandmarks)
	if err == nil {
		res.RightHand, tr.RightHandLandmarks, err = h.hands[0].handBranch(img, p, rightHandFromPose, tr.RightHandLandmarks)
	}
	res.Timings.Hands = time.Since(start)
	if err != nil {
		return err
	}
	start = time.Now()
	res.Face, tr.FaceLandmarks, err = h.faceBranch(l, img, p, tr.FaceLandmarks)
	res.Timings.Face = time.Since(start)
	return err
}

// holisticParallel runs the three branches at once, as MediaPipe's scheduler does on its thread
// pool: they only read the image and the pose, and each writes its own fields of res and tr, so
// the result is the same as one after the other (a test checks it bit for bit). The right hand
// and the face run on goroutines of their own, the left hand on this one. Timings.Hands is then
// the wall time until both hands are done, overlapping Timings.Face.
func (h *holisticWorker) holisticParallel(l *Landmarker, img pixels.Image, res *Result, tr *Track) error {
	p := res.Pose
	start := time.Now()
	var wg sync.WaitGroup
	var rightErr, faceErr error
	var rightDone time.Time
	wg.Add(2)
	go func() {
		defer wg.Done()
		res.RightHand, tr.RightHandLandmarks, rightErr = h.hands[1].handBranch(img, p, rightHandFromPose, tr.RightHandLandmarks)
		rightDone = time.Now()
	}()
	go func() {
		defer wg.Done()
		res.Face, tr.FaceLandmarks, faceErr = h.faceBranch(l, img, p, tr.FaceLandmarks)
		res.Timings.Face = time.Since(start)
	}()
	var leftErr error
	res.LeftHand, tr.LeftHandLandmarks, leftErr = h.hands[0].handBranch(img, p, leftHandFromPose, tr.LeftHandLandmarks)
	leftDone := time.Now()
	wg.Wait()
	if rightDone.After(leftDone) {
		leftDone = rightDone
	}
	res.Timings.Hands = leftDone.Sub(start)
	return errors.Join(leftErr, rightErr, faceErr)
}

// handBranch is hand_landmarks_from_pose_cpu.pbtxt for one side: the wrist visibility gate, the
// ROI from the pose, hand_recrop (on every frame that passes the gate, tracked or not), the
// choice between the re-crop ROI and the one from the previous frame's landmarks
// (hand_tracking.pbtxt), then hand_landmark_full. prev are the previous frame's landmarks of this
// hand (empty when it had none); the returned slice, reusing prev's storage, are this frame's.
func (h *handInterpreters) handBranch(img pixels.Image, p *Pose, from [3]int, prev []Point) (*Hand, []Point, error) {
	wrist := p.Landmarks[from[0]]
	// ThresholdingCalculator compares in double against a double threshold.
	if !(float64(wrist.Visibility) > handVisibilityThreshold) {
		return nil, prev[:0], nil
	}
	W, H := img.Width, img.Height
	fromPose := HandROIFromPose(Point{wrist.X, wrist.Y}, landmarkPoint(p.Landmarks[from[1]]), landmarkPoint(p.Landmarks[from[2]]), W, H)
	if ok, err := cropInto(Crop, img, fromPose, h.recrop.input, handRecropInput, 0, 1, BorderReplicate); !ok {
		return nil, prev[:0], err
	}
	if err := h.recrop.invoke(); err != nil {
		return nil, prev[:0], err
	}
	roi := HandRecropROI(h.recrop.outputs[0], fromPose, W, H)
	if len(prev) == NumHandLandmarks {
		roi, _ = HandROITracking().Choose(HandLandmarksROI(prev, W, H), prev, roi, W, H)
	}
	if ok, err := cropInto(Crop, img, roi, h.hand.input, handLandmarkInput, 0, 1, BorderReplicate); !ok {
		return nil, prev[:0], err
	}
	if err := h.hand.invoke(); err != nil {
		return nil, prev[:0], err
	}
	out := h.hand.outputs
	if !(out[1][0] > handPresenceThreshold) {
		return nil, prev[:0], nil
	}
	hand := &Hand{ROI: roi}
	DecodeLandmarks(out[0], handLandmarkInput, handLandmarkInput, hand.Landmarks[:])
	for i := range hand.Landmarks {
		hand.Landmarks[i].Z /= handNormalizeZ
	}
	removeCropPadding(hand.Landmarks[:], roi, W, H, handLandmarkInput)
	ProjectLandmarks(hand.Landmarks[:], roi)
	ProjectWorldLandmarks(out[3], roi, hand.World[:])
	return hand, landmarkPoints(prev, hand.Landmarks[:]), nil
}

// faceBranch is face_landmarks_from_pose_cpu.pbtxt: the ROI from the pose's face landmarks, the
// short-range face detector inside it (on every frame), the re-crop ROI from its first
// detection, the choice between that and the ROI from the previous frame's landmarks
// (face_tracking.pbtxt), then face_landmark (or face_landmark_with_attention, whose 478 points
// feed the tracking as all 468 do otherwise). prev and the returned slice as in handBranch.
func (h *holisticWorker) faceBranch(l *Landmarker, img pixels.Image, p *Pose, prev []Point) (*Face, []Point, error) {
	W, H := img.Width, img.Height
	for i := range h.facePts {
		h.facePts[i] = landmarkPoint(p.Landmarks[i])
	}
	fromPose := FaceROIFromPose(h.facePts[:], W, H)
	if ok, err := cropInto(Crop, img, fromPose, h.faceDet.input, faceDetectorInput, -1, 1, BorderZero); !ok {
		return nil, prev[:0], err
	}
	if err := h.faceDet.invoke(); err != nil {
		return nil, prev[:0], err
	}
	d, found := firstDetection(h.faceDet, l.faceAnchors, FaceDetectorDecode(), faceNMSThreshold, &h.dets)
	if !found {
		return nil, prev[:0], nil
	}
	ProjectDetection(&d, fromPose, W, H)
	roi := FaceDetectionROI(d, W, H)
	// The previous landmarks are this worker's own output (or a Track another Landmarker of the
	// same kind wrote): one count per kind, so a Track of the other holistic kind starts afresh.
	if len(prev) == h.numFaceLandmarks() {
		roi, _ = FaceROITracking().Choose(FaceLandmarksROI(prev, W, H), prev, roi, W, H)
	}
	// face_landmark's ImageToTensorCalculator alone does not keep the aspect ratio.
	if ok, err := cropInto(CropStretched, img, roi, h.faceLm.input, faceLandmarkInput, 0, 1, BorderReplicate); !ok {
		return nil, prev[:0], err
	}
	if err := h.faceLm.invoke(); err != nil {
		return nil, prev[:0], err
	}
	out := h.faceLm.outputs
	if !(Sigmoid(out[len(out)-1][0]) > facePresenceThreshold) {
		return nil, prev[:0], nil
	}
	face := &Face{Landmarks: make([]Landmark, h.numFaceLandmarks()), ROI: roi}
	if h.refined {
		RefineFaceLandmarks(out, face.Landmarks)
	} else {
		DecodeLandmarks(out[0], faceLandmarkInput, faceLandmarkInput, face.Landmarks)
	}
	ProjectLandmarks(face.Landmarks, roi)
	return face, landmarkPoints(prev, face.Landmarks), nil
}

// numFaceLandmarks is how many landmarks faceBranch outputs.
func (h *holisticWorker) numFaceLandmarks() int {
	if h.refined {
		return NumRefinedFaceLandmarks
	}
	return NumFaceLandmarks
}

// cropInto crops roi into a size x size tensor with crop (Crop or CropStretched). A degenerate
// ROI is not an error but no result (ok false, err nil), as MediaPipe's ImageToTensorCalculator
// drops it.
func cropInto(crop func(pixels.Image, Rect, []float32, int, int, float32, float32, Border) error, img pixels.Image, roi Rect, dst []float32, size int, lo, hi float32, border Border) (ok bool, err error) {
	err = crop(img, roi, dst, size, size, lo, hi, border)
	if errors.Is(err, ErrBadROI) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("model: holistic: %w", err)
	}
	return true, nil
}

func landmarkPoint(l Landmark) Point { return Point{l.X, l.Y} }

// landmarkPoints copies the x and y of lms into dst, reusing its capacity.
func landmarkPoints(dst []Point, lms []Landmark) []Point {
	dst = dst[:0]
	for _, l := range lms {
		dst = append(dst, Point{l.X, l.Y})
	}
	return dst
}
