package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Kind names a landmark pipeline.
type Kind string

// The pipelines. PoseFull is MediaPipe's default (model_complexity 1). Holistic is MediaPipe
// Holistic with model_complexity 1 and refine_face_landmarks off: the PoseFull pipeline plus
// both hands and the 468-point face mesh. HolisticRefined is the same with
// refine_face_landmarks on: face_landmark_with_attention's 478 points, the mesh with refined
// lips and eyes and 5 points per iris.
const (
	PoseLite        Kind = "pose-lite"
	PoseFull        Kind = "pose-full"
	PoseHeavy       Kind = "pose-heavy"
	Holistic        Kind = "holistic"
	HolisticRefined Kind = "holistic-refined"
)

// Kinds lists the pipelines Open accepts.
func Kinds() []Kind { return []Kind{PoseLite, PoseFull, PoseHeavy, Holistic, HolisticRefined} }

// IsHolistic reports whether the kind runs MediaPipe Holistic (face and hands on top of the
// pose), with or without refined face landmarks.
func (k Kind) IsHolistic() bool { return k == Holistic || k == HolisticRefined }

// FaceLandmarks is the number of face landmarks the kind outputs: 468, 478 with refined face
// landmarks, 0 for the pose kinds.
func (k Kind) FaceLandmarks() int {
	switch k {
	case Holistic:
		return NumFaceLandmarks
	case HolisticRefined:
		return NumRefinedFaceLandmarks
	}
	return 0
}

// ParseKind checks a pipeline name from a flag or a config file.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown model %q (want one of %v)", s, Kinds())
}

// pose is the pose pipeline a kind runs: Holistic runs PoseFull (model_complexity 1).
func (k Kind) pose() Kind {
	if k.IsHolistic() {
		return PoseFull
	}
	return k
}

func (k Kind) landmarkFile() string {
	switch k.pose() {
	case PoseLite:
		return "pose_landmark_lite.tflite"
	case PoseHeavy:
		return "pose_landmark_heavy.tflite"
	default:
		return "pose_landmark_full.tflite"
	}
}

// ErrClosed is returned by a Landmarker used after Close.
var ErrClosed = errors.New("model: landmarker closed")

type config struct {
	dir             string
	threads         int
	workers         int
	minDetection    float32
	minTracking     float32
	smoothLandmarks bool
	// maxPeople is WithMaxPeople: 1 runs the legacy one-person graph, more the Tasks graph.
	maxPeople int
	// detector is WithPersonDetector.
	detector PersonDetector
	// reidWindow is WithReidWindow.
	reidWindow time.Duration
	// sequential is WithSequentialBranches; nil leaves it to the CPUs the process may use.
	sequential *bool
}

// parallelBranches reports whether Holistic's branches run at once.
func (c config) parallelBranches() bool {
	if c.sequential != nil {
		return !*c.sequential
	}
	return runtime.NumCPU() > 1
}

// CPUs is how many CPUs this process may use, the default number of workers of everything that
// infers (one frame per CPU at once): the runtime's GOMAXPROCS, which Go sets from the CPUs the
// process may run on (sched_getaffinity: taskset, cpusets) and the container's CPU quota
// (cgroup cpu.max, rounded up, at least 2), unless $GOMAXPROCS says otherwise.
func CPUs() int { return runtime.GOMAXPROCS(0) }

// Option configures Open.
type Option func(*config)

// WithModelDir sets the directory holding the .tflite files. Default: $HOLOSTREAM_MODELS, else
// .deps/models beside the executable's parent directory, else ./.deps/models.
func WithModelDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithThreads sets the threads of each interpreter (XNNPACK). Default 1.
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// WithWorkers sets how many frames can be processed at once: each worker owns one interpreter per
// model. Default 1.
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithMinDetectionConfidence sets the pose detector's score threshold (MediaPipe's
// min_detection_confidence, default 0.5). Holistic's face detector keeps its own, fixed 0.5.
func WithMinDetectionConfidence(v float32) Option { return func(c *config) { c.minDetection = v } }

// WithMinTrackingConfidence sets the landmark model's pose-presence threshold (MediaPipe's
// min_tracking_confidence, default 0.5). Like MediaPipe it gates output in image mode too.
// Holistic's face and hand models keep their own, fixed thresholds.
func WithMinTrackingConfidence(v float32) Option { return func(c *config) { c.minTracking = v } }

// WithSmoothing turns landmark smoothing in video mode on or off (MediaPipe's smooth_landmarks,
// default on). The auxiliary landmarks that steer tracking are smoothed regardless, as in MediaPipe.
// Holistic smooths only the pose, as MediaPipe does; face and hands follow the smoothed pose.
func WithSmoothing(on bool) Option { return func(c *config) { c.smoothLandmarks = on } }

// WithMaxPeople sets how many people image mode (Detect) finds per image, most confident first
// (MediaPipe Tasks' num_poses; default 1, at most MaxPeople). With 1 the pipeline is legacy
// mp.solutions.pose, bit for bit as before. With more it follows MediaPipe Tasks' PoseLandmarker
// in IMAGE mode (mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarker_graph.cc, v0.10.14),
// whose parameters differ from the legacy graph's in two places (people.go): the detector's NMS
// and the heatmap refinement's kernel. Video mode (Track) with n > 1 follows Tasks' VIDEO mode
// (people_video.go): its tracking and association, no smoothing (Tasks refuses it for several
// people, so WithSmoothing is ignored), and a track id per person (Person.ID), which is ours.
func WithMaxPeople(n int) Option { return func(c *config) { c.maxPeople = n } }

// WithPersonDetector sets the detector that finds people for the landmark model (default
// PoseDetector, MediaPipe's). SSDDetector finds people far from the camera (person_detector.go);
// it always runs the several-people graph (people.go, people_video.go) with its own detector in
// place of the pose detector's, even for one person, and opens one more model per worker.
func WithPersonDetector(d PersonDetector) Option { return func(c *config) { c.detector = d } }

// WithReidWindow sets how long, in stream time, the id of a person tracking lost waits to be
// given back to someone found again where they were (video mode with several people; default
// DefaultReidWindow). 0 gives ids back only within the frame they were lost in.
func WithReidWindow(d time.Duration) Option { return func(c *config) { c.reidWindow = d } }

// peopleGraph reports whether frames run the several-people graph rather than legacy Pose's.
func (c config) peopleGraph() bool { return c.maxPeople > 1 || c.detector == SSDDetector }

// MaxPeople bounds WithMaxPeople: more landmark runs per frame than any camera needs.
const MaxPeople = 64

// WithSequentialBranches makes Holistic run its left-hand, right-hand and face branches one after
// the other on the calling goroutine (true), or at once (false), as MediaPipe's scheduler runs
// them: that shortens a frame when there are cores to spare (one camera's stream is one frame at
// a time; measured 1.25-1.45x on 2 cores) for a second set of hand models per worker, and costs
// a few percent on one core. The landmarks are the same either way. Default: at once when the
// process may use more than one CPU (runtime.NumCPU, which honours taskset).
func WithSequentialBranches(on bool) Option { return func(c *config) { c.sequential = &on } }

// DefaultModelDir is where Open looks for models when no directory is given.
func DefaultModelDir() string {
	if d := os.Getenv("HOLOSTREAM_MODELS"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Join(filepath.Dir(filepath.Dir(exe)), ".deps", "models")
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	return filepath.Join(".deps", "models")
}

// Landmarker runs one pipeline. It is safe for concurrent use: each call borrows a worker (one
// interpreter per model) from a pool and blocks while all are busy.
type Landmarker struct {
	kind        Kind
	cfg         config
	anchors     []Anchor
	faceAnchors []Anchor // holistic kinds only
	ssdAnchors  []Anchor // SSDDetector only
	nets        []*network
	pool        chan *poseWorker
	all         []*poseWorker
}

// Open loads the pipeline's models and builds its interpreters.
func Open(kind Kind, opts ...Option) (*Landmarker, error) {
	if _, err := ParseKind(string(kind)); err != nil {
		return nil, err
	}
	cfg := config{threads: 1, workers: 1, minDetection: 0.5, minTracking: 0.5, smoothLandmarks: true, maxPeople: 1, detector: PoseDetector, reidWindow: DefaultReidWindow}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dir == "" {
		cfg.dir = DefaultModelDir()
	}
	if cfg.threads < 1 || cfg.threads > 4*runtime.NumCPU() {
		return nil, fmt.Errorf("model: threads %d out of range 1..%d", cfg.threads, 4*runtime.NumCPU())
	}
	if cfg.workers < 1 || cfg.workers > 256 {
		return nil, fmt.Errorf("model: workers %d out of range 1..256", cfg.workers)
	}
	if cfg.maxPeople < 1 || cfg.maxPeople > MaxPeople {
		return nil, fmt.Errorf("model: max people %d out of range 1..%d", cfg.maxPeople, MaxPeople)
	}
	if cfg.reidWindow < 0 {
		return nil, fmt.Errorf("model: re-identification window %v: must be >= 0", cfg.reidWindow)
	}
	if _, err := ParsePersonDetector(string(cfg.detector)); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	l := &Landmarker{kind: kind, cfg: cfg, anchors: GenerateAnchors(PoseDetectorAnchors())}
	det, err := loadNetwork(filepath.Join(cfg.dir, "pose_detection.tflite"), "pose_detection")
	if err != nil {
		return nil, err
	}
	l.nets = append(l.nets, det)
	lm, err := loadNetwork(filepath.Join(cfg.dir, kind.landmarkFile()), string(kind.pose()))
	if err != nil {
		l.Close()
		return nil, err
	}
	l.nets = append(l.nets, lm)
	var ssd *network
	if cfg.detector == SSDDetector {
		if ssd, err = loadNetwork(filepath.Join(cfg.dir, ssdFile), "person detector"); err != nil {
			l.Close()
			return nil, err
		}
		l.nets = append(l.nets, ssd)
		l.ssdAnchors = GenerateAnchors(SSDPersonAnchors())
	}
	var hol holisticNets
	if kind.IsHolistic() {
		if hol, err = loadHolisticNets(cfg.dir, kind == HolisticRefined); err != nil {
			l.Close()
			return nil, err
		}
		l.nets = append(l.nets, hol.all()...)
		l.faceAnchors = GenerateAnchors(FaceDetectorAnchors())
	}
	l.pool = make(chan *poseWorker, cfg.workers)
	for i := 0; i < cfg.workers; i++ {
		w, err := newPoseWorker(det, lm, cfg.threads)
		if err == nil && ssd != nil {
			if w.ssd, err = newSSDWorker(ssd, cfg.threads); err != nil {
				w.close()
			}
		}
		if err == nil && kind.IsHolistic() {
			if w.hol, err = newHolisticWorker(hol, cfg.threads, cfg.parallelBranches()); err != nil {
				w.close()
			}
		}
		if err != nil {
			l.Close()
			return nil, err
		}
		l.all = append(l.all, w)
		l.pool <- w
	}
	return l, nil
}

// Workers is how many frames this Landmarker processes at once (WithWorkers).
func (l *Landmarker) Workers() int { return l.cfg.workers }

// MaxPeople is how many people Detect finds per image at most (WithMaxPeople).
func (l *Landmarker) MaxPeople() int { return l.cfg.maxPeople }

// PersonDetector is the detector that finds people (WithPersonDetector).
func (l *Landmarker) PersonDetector() PersonDetector { return l.cfg.detector }

// Kind is the pipeline this Landmarker runs.
func (l *Landmarker) Kind() Kind { return l.kind }

// Close waits for the calls in flight, then releases the interpreters and models. Calls after
// Close return ErrClosed.
func (l *Landmarker) Close() error {
	if l.pool != nil {
		for range l.all {
			<-l.pool
		}
		close(l.pool)
	}
	for _, w := range l.all {
		w.close()
	}
	l.all = nil
	for _, n := range l.nets {
		n.close()
	}
	l.nets = nil
	return nil
}

// Result is the pipeline's output for one frame.
type Result struct {
	// Pose is nil when no person was found. With WithMaxPeople(n > 1) it is People[0]'s pose,
	// and Face, LeftHand and RightHand are People[0]'s.
	Pose *Pose
	// Face, LeftHand and RightHand are filled by the holistic pipelines only, each nil when not
	// found (always nil without a pose). LeftHand is the person's left hand (pose landmarks 15,
	// 17, 19), on the image's right in an unmirrored photo of someone facing the camera.
	Face                *Face
	LeftHand, RightHand *Hand
	// People is every person found, most confident detection first: the one person of Pose,
	// Face and the hands (one element or none) unless WithMaxPeople asked for more.
	People []Person
	// DetectorRan says whether the detector ran on this frame (always in image mode; in video
	// mode only when tracking had no ROI, or with WithMaxPeople(n) fewer than n ROIs).
	DetectorRan bool
	Timings     Timings
}

// Person is one person of a frame: the pose and, for the holistic pipelines, the face and the
// hands found from it (nil when not found).
type Person struct {
	// ID is the person's track id in video mode with WithMaxPeople(n > 1): from 1, the same
	// while tracking follows the person or given back after a short occlusion (WithReidWindow), never
	// reused otherwise within a Track (people_video.go). 0 in
	// image mode and with one person.
	ID                  int64
	Pose                *Pose
	Face                *Face
	LeftHand, RightHand *Hand
}

// Pose is one person's landmarks in MediaPipe's order (0 nose ... 32 right foot index; odd
// indices are the person's left).
type Pose struct {
	Landmarks [NumPoseLandmarks]Landmark
	World     [NumPoseLandmarks]WorldLandmark
	// ROI is the rotated rectangle the landmark model saw.
	ROI Rect
}

// NumPoseLandmarks is the number of landmarks MediaPipe Pose outputs.
const NumPoseLandmarks = 33

// Timings are the wall-clock costs of one frame's stages: the pose detector, the pose landmark
// model, and (Holistic) both hands' re-crop and landmark models and the face detector and
// landmark model.
type Timings struct {
	Detect    time.Duration
	Landmarks time.Duration
	Hands     time.Duration
	Face      time.Duration
}

// Detect runs the pipeline in image mode: the detector on every image, no smoothing, no state
// (Holistic: every face and hand branch starts afresh, as in a new MediaPipe graph).
func (l *Landmarker) Detect(img pixels.Image) (Result, error) {
	return l.run(img, nil, 0)
}

// Track runs the pipeline in video mode on the next frame of one stream: the ROI comes from the
// previous frame's landmarks when there are any (the detector is skipped), and landmarks are
// smoothed by timestamp. tr carries the stream's state from frame to frame; the zero Track starts
// a new stream. Timestamps must increase; a frame whose timestamp is not after the previous one
// passes through the filters unsmoothed, as in MediaPipe. Holistic tracks the face and the hands
// from their previous frame's landmarks too (see Track).
func (l *Landmarker) Track(img pixels.Image, tr *Track, ts time.Duration) (Result, error) {
	if tr == nil {
		return Result{}, errors.New("model: Track needs a *Track (use Detect for image mode)")
	}
	return l.run(img, tr, ts)
}

func (l *Landmarker) run(img pixels.Image, tr *Track, ts time.Duration) (Result, error) {
	if img.Width <= 0 || img.Height <= 0 || len(img.Pix) < 3*img.Width*img.Height {
		return Result{}, fmt.Errorf("model: bad image %dx%d with %d bytes", img.Width, img.Height, len(img.Pix))
	}
	w, ok := <-l.pool
	if !ok || w == nil {
		return Result{}, ErrClosed
	}
	defer func() { l.pool <- w }()
	if l.cfg.peopleGraph() && tr != nil {
		return l.trackPeople(w, img, tr, ts)
	}
	if l.cfg.peopleGraph() {
		return l.detectPeople(w, img)
	}
	res, err := w.pose(l, img, tr, ts)
	if err == nil && w.hol != nil {
		err = w.hol.holistic(l, img, &res, tr)
	}
	if err == nil && res.Pose != nil {
		res.People = []Person{{Pose: res.Pose, Face: res.Face, LeftHand: res.LeftHand, RightHand: res.RightHand}}
	}
	return res, err
}
