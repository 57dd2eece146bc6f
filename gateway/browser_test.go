package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/holostream/holostream/gateway"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// The browser tests drive Debian's chromium, headless, through the pages a user sees: a photo
// uploaded to a gateway with a real model gets its skeleton drawn, a bad file its error, the
// live page draws real keypoint events published into the gateway's hub, and a server with a
// token asks for it once. Screenshots go to $HOLOSTREAM_ARTIFACTS (default artifacts/browser/).

// browserWait bounds every wait on the page.
const browserWait = 60 * time.Second

// chromiumPath finds the browser, or skips (fails under HOLOSTREAM_REQUIRE_BROWSER=1, as make
// test sets it) saying how to install it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("HOLOSTREAM_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(bin); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return bin
	}
	msg := fmt.Sprintf("no chromium at %s: run scripts/browser.sh (as root: apt-get install chromium), or set $HOLOSTREAM_CHROMIUM", bin)
	if os.Getenv("HOLOSTREAM_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts a headless chromium for the test and returns its context. Each tab (see
// newTab) is a child of it.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	// Chromium's profile and its singleton socket directory go under a directory of the
	// test's own, removed after the browser has exited (cleanups run last-in first-out).
	tmp := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.NoSandbox, // the tests run as root, where chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancel)
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // starts the browser (no timeout: it would end it)
		t.Fatalf("start chromium: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	return ctx
}

// newTab opens a tab with a time limit (each wait in it has its own, browserWait) and fails the test on any uncaught JavaScript
// exception in it.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*browserWait)
	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			problems = append(problems, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				problems = append(problems, fmt.Sprintf("console.error %s", consoleArgs(ev.Args)))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// A Content-Security-Policy violation fails the test like a script error: the UI must work
	// under the policy the gateway sends with it (ui.go), which the browser reports only so.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `document.addEventListener("securitypolicyviolation", (e) => console.error("Content-Security-Policy violation:", e.violatedDirective, e.blockedURI))`})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("page: %s", p)
		}
	})
	return ctx
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var s []string
	for _, a := range args {
		if a.Value != nil {
			s = append(s, string(a.Value))
		} else {
			s = append(s, a.Description)
		}
	}
	return strings.Join(s, " ")
}

// do runs the actions in the tab, failing the test with what on error.
func do(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy and returns its value; on timeout
// it fails the test, showing the value of show.
func waitFor[T any](t *testing.T, tab context.Context, what, expr, show string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Poll[T](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(browserWait)))
	if err != nil {
		state, _ := chromedp.Run(context.WithoutCancel(tab), chromedp.Evaluate[string](show))
		t.Fatalf("waiting for %s: %v (page: %s)", what, err, state)
	}
	return v
}

// screenshot saves the tab's page as artifacts/browser/<name>.png.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("HOLOSTREAM_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot: %s", abs)
}

// openTestLandmarker opens a landmarker with one worker, its models from $HOLOSTREAM_MODELS or
// the repository's .deps/models.
func openTestLandmarker(t *testing.T, kind model.Kind, opts ...model.Option) *model.Landmarker {
	t.Helper()
	if os.Getenv("HOLOSTREAM_MODELS") == "" {
		opts = append(opts, model.WithModelDir(filepath.Join("..", ".deps", "models")))
	}
	lm, err := model.Open(kind, append(opts, model.WithWorkers(1))...)
	if err != nil {
		t.Fatalf("open %s: %v (run `make setup`)", kind, err)
	}
	t.Cleanup(func() { lm.Close() })
	return lm
}

// memCameras is a CameraStore in memory.
type memCameras struct {
	mu   sync.Mutex
	cams map[string]schemas.CameraView
}

func (m *memCameras) Cameras(context.Context) ([]schemas.CameraView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]schemas.CameraView, 0, len(m.cams))
	for _, c := range m.cams {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memCameras) Camera(_ context.Context, id string) (schemas.CameraView, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cams[id]
	return c, ok, nil
}

// startGateway serves a gateway built from cfg.
func startGateway(t *testing.T, cfg gateway.Config) string {
	t.Helper()
	cfg.Version = "browser-test"
	s, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: ends the event streams ts.Close would wait for
	return ts.URL
}

const photo = "../testdata/images/messi5.jpg"

// TestBrowser runs the UI in headless chromium against a gateway with a real pose-lite model.
func TestBrowser(t *testing.T) {
	bin := chromiumPath(t)
	lm := openTestLandmarker(t, model.PoseLite)
	hub := gateway.NewHub()
	cams := &memCameras{cams: map[string]schemas.CameraView{"cam-ui": {ID: "cam-ui", LastSeq: 41, LastCapturedAt: time.Now(),
		Tracking: true, Counters: schemas.CameraCounters{Received: 45, Emitted: 41, Detected: 40, DeadLettered: 4}, Balanced: true}}}
	recent := gateway.NewRecent(gateway.RecentOptions{})
	url := startGateway(t, gateway.Config{Inferer: lm, Events: hub, Cameras: cams, Recent: recent, InferWorkers: 1})
	browser := newBrowser(t)
	t.Logf("chromium: %s", bin)

	t.Run("Upload", func(t *testing.T) { testUpload(t, newTab(t, browser), url) })
	t.Run("UploadNoPerson", func(t *testing.T) { testUploadNoPerson(t, newTab(t, browser), url) })
	t.Run("UploadNotImage", func(t *testing.T) { testUploadNotImage(t, newTab(t, browser), url) })
	t.Run("UploadPeople", func(t *testing.T) {
		lm := openTestLandmarker(t, model.PoseFull, model.WithMaxPeople(4))
		testUploadPeople(t, newTab(t, browser), startGateway(t, gateway.Config{Inferer: lm, InferWorkers: 1}))
	})
	t.Run("UploadHolistic", func(t *testing.T) {
		lm := openTestLandmarker(t, model.Holistic)
		testUploadHolistic(t, newTab(t, browser), startGateway(t, gateway.Config{Inferer: lm, InferWorkers: 1}))
	})
	t.Run("UploadHolisticRefined", func(t *testing.T) {
		lm := openTestLandmarker(t, model.HolisticRefined)
		testUploadHolisticRefined(t, newTab(t, browser), startGateway(t, gateway.Config{Inferer: lm, InferWorkers: 1}))
	})
	t.Run("Live", func(t *testing.T) { testLive(t, newTab(t, browser), url, lm, hub, recent) })
	t.Run("LivePeople", func(t *testing.T) {
		hub := gateway.NewHub()
		cams := &memCameras{cams: map[string]schemas.CameraView{"court": {ID: "court", LastSeq: 1, LastCapturedAt: time.Now(), Tracking: true}}}
		testLivePeople(t, newTab(t, browser), startGateway(t, gateway.Config{Inferer: lm, Events: hub, Cameras: cams, InferWorkers: 1}), hub)
	})
	t.Run("LiveNoKafka", func(t *testing.T) {
		testLiveNoKafka(t, newTab(t, browser), startGateway(t, gateway.Config{Inferer: lm, InferWorkers: 1}))
	})
	t.Run("Token", func(t *testing.T) {
		url := startGateway(t, gateway.Config{Inferer: lm, Events: gateway.NewHub(), Token: "s3cret-token"})
		testToken(t, newTab(t, browser), url)
	})
	t.Run("LiveCameraLater", func(t *testing.T) {
		hub := gateway.NewHub()
		cams := &memCameras{cams: map[string]schemas.CameraView{}}
		url := startGateway(t, gateway.Config{Inferer: lm, Events: hub, Cameras: cams, InferWorkers: 1, MaxWaitingSubscribers: 1})
		testLiveCameraLater(t, newTab(t, browser), url, lm, hub, cams)
	})
}

// uploadAndWait opens the upload page, gives the file input path and waits until the canvas
// says "drawn" or "error"; it returns that state.
func uploadAndWait(t *testing.T, tab context.Context, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	do(t, tab, "upload", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{abs}))
	return waitFor[string](t, tab, "the upload's answer",
		`["drawn", "error"].includes(photo.dataset.state) && photo.dataset.state`, `document.getElementById("status").textContent`)
}

func testUpload(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	waitFor[bool](t, tab, "the server info in the header", `document.getElementById("info").textContent.includes("pose-lite")`,
		`document.getElementById("info").textContent`)
	if state := uploadAndWait(t, tab, photo); state != "drawn" {
		t.Fatalf("state %q: %s", state, eval[string](t, tab, `document.getElementById("status").textContent`))
	}
	joints := eval[int](t, tab, `+photo.dataset.joints`)
	status := eval[string](t, tab, `document.getElementById("status").textContent`)
	t.Logf("status: %s", status)
	if joints < 20 {
		t.Errorf("data-joints %d, want >= 20 for a whole person", joints)
	}

	// The API's own answer for the same photo says where the joints are and which are drawn.
	out := inferFile(t, url, photo)
	if out.Pose == nil {
		t.Fatal("the API finds no person in " + photo)
	}
	var probes []probe
	for i, l := range out.Pose.Landmarks {
		if l.Visibility >= 0.5 && l.Presence >= 0.5 && l.X >= 0 && l.X <= 1 && l.Y >= 0 && l.Y <= 1 {
			probes = append(probes, probe{l.X, l.Y, exactly(sideRGB(i)), 3})
		}
	}
	if joints != len(probes) {
		t.Errorf("data-joints %d, but %d landmarks of the API's answer pass visibility and presence >= 0.5", joints, len(probes))
	}
	// A disc of its side's colour must be on the canvas at each of them; the same probes on
	// the plain photo show the colour is the drawing's, not the picture's.
	checkProbes(t, tab, "visible joints", probes)
	if !strings.Contains(eval[string](t, tab, `document.getElementById("json").textContent`), `"world_landmarks"`) {
		t.Error("the JSON beside the canvas lacks world_landmarks")
	}
	screenshot(t, tab, "upload")
}

// testUploadPeople: a server that finds several people per image (serve --max-people) answers
// with every person, and the upload page draws each: its joints in their side's colours, its
// bones in a colour of its own, its id.
func testUploadPeople(t *testing.T, tab context.Context, url string) {
	const two = "../testdata/images/basketball2.png" // two players, both found by MediaPipe Tasks
	out := inferFile(t, url, two)
	if len(out.People) < 2 {
		t.Fatalf("the API finds %d people in %s, want 2", len(out.People), two)
	}
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	if state := uploadAndWait(t, tab, two); state != "drawn" {
		t.Fatalf("state %q: %s", state, eval[string](t, tab, `document.getElementById("status").textContent`))
	}
	people, ids := eval[int](t, tab, `+photo.dataset.people`), eval[string](t, tab, `photo.dataset.ids`)
	t.Logf("status: %s; data-people %d, data-ids %q", eval[string](t, tab, `document.getElementById("status").textContent`), people, ids)
	if people != len(out.People) || ids != "0,1" {
		t.Errorf("drawn %d people with ids %q, want %d with ids 0,1", people, ids, len(out.People))
	}
	// Each person's bones in its own colour (draw.js PERSON_COLOURS): probe the middle of the
	// shoulder-to-hip bones, which no joint covers.
	colours := [][3]int{{120, 230, 90}, {255, 80, 200}}
	var joints, bones []probe
	for k, p := range out.People {
		lms := p.Pose.Landmarks
		for i, l := range lms {
			if l.Visibility >= 0.5 && l.Presence >= 0.5 && l.X >= 0 && l.X <= 1 && l.Y >= 0 && l.Y <= 1 {
				joints = append(joints, probe{l.X, l.Y, exactly(sideRGB(i)), 3})
			}
		}
		for _, b := range [][2]int{{11, 23}, {12, 24}} {
			a, c := lms[b[0]], lms[b[1]]
			if min(a.Visibility, c.Visibility, a.Presence, c.Presence) >= 0.5 {
				bones = append(bones, probe{(a.X + c.X) / 2, (a.Y + c.Y) / 2, exactly(colours[k]), 2})
			}
		}
	}
	if got := eval[int](t, tab, `+photo.dataset.joints`); got != len(joints) {
		t.Errorf("data-joints %d, but the people of the API's answer have %d visible landmarks", got, len(joints))
	}
	checkProbesOn(t, tab, two, "every person's visible joints", joints)
	if len(bones) < 2 {
		t.Fatalf("%d shoulder-to-hip bones visible in the API's answer: nothing to tell the people apart by", len(bones))
	}
	checkProbesOn(t, tab, two, "each person's bones in its own colour", bones)
	screenshot(t, tab, "upload-people")
}

// sideRGB is the joint colour of pose landmark i: odd = the person's left (orange), even = right
// (cyan), 0 = centre (white), as draw.js and the overlay package draw them.
func sideRGB(i int) [3]int {
	switch {
	case i == 0:
		return [3]int{255, 255, 255}
	case i%2 == 1:
		return [3]int{255, 138, 0}
	default:
		return [3]int{0, 217, 231}
	}
}

// probe looks for a colour around a landmark (x, y normalized): at least pixels pixels of the
// 5x5 patch around it must pass test.
type probe struct {
	x, y   float32
	test   func(r, g, b int) bool
	pixels int
}

func exactly(want [3]int) func(r, g, b int) bool {
	return func(r, g, b int) bool {
		d := func(a, b int) int { return max(a-b, b-a) }
		return d(r, want[0]) <= 6 && d(g, want[1]) <= 6 && d(b, want[2]) <= 6
	}
}

// faceGreen: the face mesh's translucent green over any background.
func faceGreen(r, g, b int) bool { return g > 180 && g-r > 50 && g-b > 50 }

// checkProbes reads the #photo canvas back around each probe and wants 80 % of them found,
// and at most 10 % found at the same places of the plain photo.
func checkProbes(t *testing.T, tab context.Context, what string, probes []probe) {
	t.Helper()
	checkProbesOn(t, tab, photo, what, probes)
}

// checkProbesOn is checkProbes for the drawing over the image at path.
func checkProbesOn(t *testing.T, tab context.Context, path, what string, probes []probe) {
	t.Helper()
	cw, ch := eval[int](t, tab, `photo.width`), eval[int](t, tab, `photo.height`)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := pixels.DecodeImage(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cw*plain.Height - ch*plain.Width; max(d, -d) > max(cw, ch) {
		t.Errorf("canvas %dx%d, image %dx%d: not the image's aspect ratio", cw, ch, plain.Width, plain.Height)
	}
	at := make([][2]int, len(probes))
	for i, p := range probes {
		at[i] = [2]int{int(p.x * float32(cw)), int(p.y * float32(ch))}
	}
	js, _ := json.Marshal(at)
	patches := eval[[][]int](t, tab, `(() => {
		const g = photo.getContext("2d");
		return `+string(js)+`.map(([x, y]) => Array.from(g.getImageData(x - 2, y - 2, 5, 5).data));
	})()`)
	onCanvas, onPhoto := 0, 0
	for i, p := range probes {
		if count(patches[i], p.test) >= p.pixels {
			onCanvas++
		}
		if count(photoPatch(plain, int(p.x*float32(plain.Width)), int(p.y*float32(plain.Height))), p.test) >= p.pixels {
			onPhoto++
		}
	}
	t.Logf("%s: colour found at %d of %d on the canvas, %d on the plain photo", what, onCanvas, len(probes), onPhoto)
	if onCanvas < len(probes)*8/10 {
		t.Errorf("%s: colour found at only %d of %d on the canvas", what, onCanvas, len(probes))
	}
	if onPhoto > len(probes)/10 {
		t.Errorf("%s: the plain photo already has the colour at %d of %d: the check proves nothing", what, onPhoto, len(probes))
	}
}

// count counts the pixels of an RGBA patch that pass test.
func count(rgba []int, test func(r, g, b int) bool) int {
	n := 0
	for i := 0; i+3 < len(rgba); i += 4 {
		if test(rgba[i], rgba[i+1], rgba[i+2]) {
			n++
		}
	}
	return n
}

// photoPatch is the 5x5 RGBA patch of img around (x, y), as getImageData gives it.
func photoPatch(img pixels.Image, x, y int) []int {
	var rgba []int
	for yy := y - 2; yy <= y+2; yy++ {
		for xx := x - 2; xx <= x+2; xx++ {
			if xx < 0 || yy < 0 || xx >= img.Width || yy >= img.Height {
				continue
			}
			o := 3 * (yy*img.Width + xx)
			rgba = append(rgba, int(img.Pix[o]), int(img.Pix[o+1]), int(img.Pix[o+2]), 255)
		}
	}
	return rgba
}

// inferFile posts a file to /v1/infer as the page does (multipart field "image").
func inferFile(t *testing.T, url, path string) model.Output {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", filepath.Base(path))
	fw.Write(data)
	mw.Close()
	res, err := http.Post(url+"/v1/infer", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out model.Output
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/infer: %s, %v", res.Status, err)
	}
	return out
}

func testUploadNoPerson(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	if state := uploadAndWait(t, tab, "../testdata/images/fruits.jpg"); state != "drawn" {
		t.Fatalf("state %q, want drawn (the photo, with no skeleton)", state)
	}
	if n := eval[int](t, tab, `+photo.dataset.joints`); n != 0 {
		t.Errorf("data-joints %d on a bowl of fruit", n)
	}
	if status := eval[string](t, tab, `document.getElementById("status").textContent`); !strings.HasPrefix(status, "No person found") {
		t.Errorf("status %q", status)
	}
}

// testUploadHolistic: with holistic, the face mesh and both hands are drawn too.
func testUploadHolistic(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	if state := uploadAndWait(t, tab, photo); state != "drawn" {
		t.Fatalf("state %q: %s", state, eval[string](t, tab, `document.getElementById("status").textContent`))
	}
	out := inferFile(t, url, photo)
	if out.Face == nil || out.LeftHand == nil || out.RightHand == nil {
		t.Fatalf("holistic finds face %v, left hand %v, right hand %v in %s: pick another photo",
			out.Face != nil, out.LeftHand != nil, out.RightHand != nil, photo)
	}
	facePoints, handPoints := eval[int](t, tab, `+photo.dataset.face`), eval[int](t, tab, `+photo.dataset.hands`)
	if facePoints != len(out.Face) || handPoints != len(out.LeftHand)+len(out.RightHand) {
		t.Errorf("drawn: face %d points, hands %d; the answer has %d and %d+%d", facePoints, handPoints,
			len(out.Face), len(out.LeftHand), len(out.RightHand))
	}
	// Green dots at the face points; hand joints in their side's colour (the person's left hand
	// in orange). The pose's own face and finger points give way to these (16 joints left).
	if n := eval[int](t, tab, `+photo.dataset.joints`); n != 33-11-6 {
		t.Errorf("data-joints %d, want the 16 pose joints outside the face and fingers", n)
	}
	var face, hand []probe
	for _, p := range out.Face {
		face = append(face, probe{p.X, p.Y, faceGreen, 1})
	}
	for _, h := range []struct {
		points []model.PointOutput
		rgb    [3]int
	}{{out.LeftHand, sideRGB(1)}, {out.RightHand, sideRGB(2)}} {
		for _, p := range h.points {
			hand = append(hand, probe{p.X, p.Y, exactly(h.rgb), 3})
		}
	}
	checkProbes(t, tab, "face points", face)
	checkProbes(t, tab, "hand joints", hand)
	screenshot(t, tab, "upload-holistic")
}

// testUploadHolisticRefined: the 478-point face is drawn, and each iris gets a magenta ring
// through its edge points, centred on its centre point.
func testUploadHolisticRefined(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	if state := uploadAndWait(t, tab, photo); state != "drawn" {
		t.Fatalf("state %q: %s", state, eval[string](t, tab, `document.getElementById("status").textContent`))
	}
	out := inferFile(t, url, photo)
	if len(out.Face) != model.NumRefinedFaceLandmarks {
		t.Fatalf("holistic-refined: %d face points in %s, want %d", len(out.Face), photo, model.NumRefinedFaceLandmarks)
	}
	if n, irises := eval[int](t, tab, `+photo.dataset.face`), eval[int](t, tab, `+photo.dataset.irises`); n != len(out.Face) || irises != 2 {
		t.Errorf("drawn: face %d points, %d irises; want %d and 2", n, irises, len(out.Face))
	}
	if s := eval[string](t, tab, `document.getElementById("status").textContent`); !strings.Contains(s, "with 2 irises") {
		t.Errorf("status %q does not mention the irises", s)
	}
	// The canvas is the photo scaled: a ring's edge points are on the ring, in magenta.
	var ring []probe
	magenta := exactly([3]int{255, 64, 160})
	for _, iris := range model.FaceIrises() {
		for i := iris[0] + 1; i <= iris[1]; i++ {
			ring = append(ring, probe{out.Face[i].X, out.Face[i].Y, magenta, 2})
		}
	}
	checkProbes(t, tab, "iris rings", ring)
	screenshot(t, tab, "upload-holistic-refined")
}

func testUploadNotImage(t *testing.T, tab context.Context, url string) {
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("these are notes, not a photo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	if state := uploadAndWait(t, tab, notes); state != "error" {
		t.Fatalf("state %q after uploading a text file, want error", state)
	}
	status := eval[string](t, tab, `document.getElementById("status").textContent`)
	// The page shows the API's own message (415 NOT_IMAGE), not a generic one.
	if !strings.Contains(status, "not a JPEG, PNG or WebP image") {
		t.Errorf("status %q lacks the API's message", status)
	}
	if eval[bool](t, tab, `document.getElementById("status").classList.contains("error")`) == false {
		t.Error("the error is not shown as one")
	}
	screenshot(t, tab, "upload-error")
}

// footageEvents runs the landmarker in video mode over the footage frames and converts the
// results to keypoint events, as the landmarks processor emits them.
// testLivePeople: the live page draws every person of a keypoint event that carries several
// (run --max-people), as the processors emit it: two players, track ids 1 and 2.
func testLivePeople(t *testing.T, tab context.Context, url string, hub *gateway.Hub) {
	lm := openTestLandmarker(t, model.PoseFull, model.WithMaxPeople(4))
	data, err := os.ReadFile("../testdata/images/basketball2.png")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := pixels.DecodeImage(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tr model.Track
	res, err := lm.Track(img, &tr, 0)
	if err != nil {
		t.Fatal(err)
	}
	ev := landmarks.KeypointEvent(schemas.Frame{CameraID: "court", UserID: "court", Seq: 1}, img, lm.Kind(), lm.MaxPeople(), res)
	if len(ev.People) != 2 {
		t.Fatalf("the event has %d people, want the 2 players", len(ev.People))
	}
	ev.CapturedAt, ev.ProcessedAt = time.Now().UTC(), time.Now().UTC()
	do(t, tab, "open the live page", chromedp.Navigate(url+"/cameras/court"))
	waitFor[bool](t, tab, "the event stream", `live.dataset.connected === "true"`, `document.getElementById("conn").textContent`)
	hub.PublishKeypoints(ev)
	waitFor[bool](t, tab, "the event drawn", `live.dataset.seq === "1"`, `live.dataset.seq`)
	if n := eval[int](t, tab, `+live.dataset.people`); n != 2 {
		t.Errorf("data-people %d, want 2", n)
	}
	screenshot(t, tab, "live-people")
}

func footageEvents(t *testing.T, lm *model.Landmarker, camera, user string, n int) []schemas.KeypointEvent {
	t.Helper()
	paths, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(paths)
	if len(paths) < n {
		t.Fatalf("%d frames under testdata/video, want %d", len(paths), n)
	}
	var tr model.Track
	var evs []schemas.KeypointEvent
	for i, p := range paths[:n] {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		img, _, err := pixels.DecodeImage(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		res, err := lm.Track(img, &tr, time.Duration(i)*100*time.Millisecond) // the footage is 10 fps
		if err != nil {
			t.Fatal(err)
		}
		ev := landmarks.KeypointEvent(schemas.Frame{CameraID: camera, UserID: user, Seq: int64(i + 1)}, img, lm.Kind(), lm.MaxPeople(), res)
		ev.ProcessingMs = float32(time.Since(start).Microseconds()) / 1000
		evs = append(evs, ev)
	}
	return evs
}

func testLive(t *testing.T, tab context.Context, url string, lm *model.Landmarker, hub *gateway.Hub, recent *gateway.Recent) {
	const camera, user, frames = "cam-ui", "user-ui", 30
	evs := footageEvents(t, lm, camera, user, frames)
	pictures := footagePictures(t, frames)
	// What happened before the page opened: the page shows it at once.
	recent.PutKeypoints(evs[0])
	recent.PutAction(schemas.ActionEvent{UserID: user, CameraID: camera, Seq: 1, At: time.Now().Add(-time.Minute),
		Kind: schemas.ActionFall, Posture: schemas.PostureLying, Confidence: 0.7})
	recent.PutStats(schemas.PoseStats{UserID: user, WindowStart: time.Now().Add(-time.Minute), WindowEnd: time.Now().Add(-50 * time.Second),
		Frames: 100, Detected: 99, DetectionRate: 0.99})
	detected := 0
	for _, ev := range evs {
		if ev.Pose != nil {
			detected++
		}
	}
	if detected < frames/2 {
		t.Fatalf("a person in only %d of %d footage frames", detected, frames)
	}

	do(t, tab, "open the live page", chromedp.Navigate(url+"/cameras/"+camera))
	// Publish only once the page's event stream is open: the hub sends only to subscribers.
	waitFor[bool](t, tab, "the event stream", `live.dataset.connected === "true"`, `document.getElementById("conn").textContent`)
	waitFor[bool](t, tab, "the counters", `document.getElementById("counters").textContent.includes("received")`,
		`document.getElementById("counters-status").textContent`)
	if got := eval[string](t, tab, `actions.children.length + " " + (actions.children[0]?.dataset.kind ?? "") + " " + (document.getElementById("window-stats").dataset.windows ?? "")`); got != "1 FALL 1" {
		t.Errorf("before any live event the page shows %q (actions, newest, windows), want the kept FALL and window: \"1 FALL 1\"", got)
	}

	for i, ev := range evs {
		ev.ProcessedAt = time.Now().UTC()
		ev.CapturedAt = ev.ProcessedAt.Add(-time.Duration(40+ev.Seq%7) * time.Millisecond)
		// As serve does: the frame is read from Kafka before its keypoints come out.
		recent.PutFrame(schemas.Frame{CameraID: camera, UserID: user, Seq: ev.Seq, CapturedAt: ev.CapturedAt, ContentType: "image/jpeg", Image: pictures[i]})
		hub.PublishKeypoints(ev)
		time.Sleep(30 * time.Millisecond) // about the footage's pace, and well within the hub's buffer
	}
	now := time.Now().UTC()
	hub.PublishAction(schemas.ActionEvent{UserID: user, CameraID: camera, Seq: frames - 5, At: now.Add(-time.Second),
		Kind: schemas.ActionPostureChanged, Posture: schemas.PostureSquatting, PreviousPosture: schemas.PostureStanding, Confidence: 0.8})
	hub.PublishAction(schemas.ActionEvent{UserID: user, CameraID: camera, Seq: frames, At: now,
		Kind: schemas.ActionRep, Posture: schemas.PostureStanding, Exercise: "SQUAT", RepCount: 3, Confidence: 0.93})
	const windows = 4 // the last one with the footage's numbers
	for i := range windows {
		end := now.Add(time.Duration(i-windows+1) * 10 * time.Second)
		hub.PublishStats(schemas.PoseStats{UserID: user, WindowStart: end.Add(-10 * time.Second), WindowEnd: end, Frames: frames,
			Detected: int32(detected - windows + 1 + i), DetectionRate: float32(detected-windows+1+i) / frames,
			MotionEnergy: 0.004 * float32(i+1), MeanAngles: map[string]float32{"left_knee": 171},
			PostureSeconds: map[string]float32{"STANDING": 2.5}, Reps: map[string]int32{"SQUAT": int32(i)}})
	}

	// Every event, since the stream was open before the first one and the hub buffers 64.
	waitFor[bool](t, tab, "the events drawn, the actions listed and the window shown",
		fmt.Sprintf(`+live.dataset.events >= %d && actions.children.length >= 2 && +document.getElementById("window-stats").dataset.windows >= %d`, frames, windows),
		`"events " + live.dataset.events + ", actions " + actions.children.length + ", windows " + document.getElementById("window-stats").dataset.windows`)
	if n := eval[int](t, tab, `+live.dataset.events`); n != frames {
		t.Errorf("data-events %d, want %d", n, frames)
	}
	first := eval[string](t, tab, `actions.children[0].dataset.kind + " " + actions.children[0].textContent`)
	if !strings.HasPrefix(first, "REP") || !strings.Contains(first, "SQUAT #3") {
		t.Errorf("newest action %q, want the REP (SQUAT #3) first", first)
	}
	if status := eval[string](t, tab, `document.getElementById("frame").textContent`); !strings.Contains(status, fmt.Sprintf("seq %d", frames)) {
		t.Errorf("frame status %q lacks the last seq", status)
	}
	// The last event's skeleton is on the canvas (the footage's last frame has a person): count
	// pixels of the joint colours.
	if evs[frames-1].Pose == nil {
		t.Fatal("no person in the last footage frame")
	}
	coloured := eval[int](t, tab, `(() => {
		const d = live.getContext("2d").getImageData(0, 0, live.width, live.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) {
			const orange = d[i] > 245 && Math.abs(d[i+1] - 138) < 8 && d[i+2] < 10;
			const cyan = d[i] < 10 && Math.abs(d[i+1] - 217) < 8 && Math.abs(d[i+2] - 231) < 8;
			if (orange || cyan) n++;
		}
		return n;
	})()`)
	if coloured < 50 {
		t.Errorf("%d joint-coloured pixels on the live canvas: no skeleton drawn", coloured)
	}
	if w, h := eval[int](t, tab, `live.width`), eval[int](t, tab, `live.height`); w*int(evs[0].Height) != h*int(evs[0].Width) {
		t.Errorf("live canvas %dx%d, frames %dx%d: not the frame's aspect ratio", w, h, evs[0].Width, evs[0].Height)
	}
	checkLivePicture(t, tab, evs[frames-1], pictures[frames-1])
	time.Sleep(1100 * time.Millisecond) // the charts redraw every second
	screenshot(t, tab, "live")
}

// testLiveNoKafka: a server without Kafka (serve --no-kafka) has no events and no counters:
// the live page says so instead of retrying forever.
func testLiveNoKafka(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open the live page", chromedp.Navigate(url+"/cameras/cam-1"))
	waitFor[bool](t, tab, "the page to say there are no events",
		`document.getElementById("conn").textContent.includes("no Kafka") && document.getElementById("counters-status").textContent.includes("no Kafka")`,
		`document.getElementById("conn").textContent + " / " + document.getElementById("counters-status").textContent`)
	if eval[string](t, tab, `live.dataset.connected`) != "false" {
		t.Error("data-connected is not false")
	}
}

func testToken(t *testing.T, tab context.Context, url string) {
	do(t, tab, "open /", chromedp.Navigate(url+"/"))
	// Three calls answer 401 at once (info, cameras, skeleton): one form asks.
	waitFor[bool](t, tab, "the token form", `document.getElementById("token-dialog")?.open === true`, `document.body.innerText`)
	if n := eval[int](t, tab, `document.querySelectorAll("dialog").length`); n != 1 {
		t.Errorf("%d token forms", n)
	}
	if msg := eval[string](t, tab, `document.getElementById("token-message").textContent`); !strings.Contains(msg, "token") {
		t.Errorf("the form says %q, not the API's message", msg)
	}
	screenshot(t, tab, "token")
	do(t, tab, "enter the token",
		chromedp.SendKeys(chromedp.ID("token-input"), "s3cret-token"),
		chromedp.Click(chromedp.ID("token-submit")))
	waitFor[bool](t, tab, "the server info, with the token", `document.getElementById("info").textContent.includes("pose-lite")`,
		`document.getElementById("info").textContent`)
	if state := uploadAndWait(t, tab, photo); state != "drawn" {
		t.Fatalf("upload with the token: state %q: %s", state, eval[string](t, tab, `document.getElementById("status").textContent`))
	}
	if tok := eval[string](t, tab, `localStorage.getItem("holostream.token")`); tok != "s3cret-token" {
		t.Errorf("localStorage token %q", tok)
	}
	// The live page's event stream carries the kept token as ?access_token= (no form this time).
	do(t, tab, "open the live page", chromedp.Navigate(url+"/cameras/cam-token"))
	waitFor[bool](t, tab, "the event stream, with the token", `live.dataset.connected === "true"`, `document.getElementById("conn").textContent`)
	if eval[bool](t, tab, `!!document.getElementById("token-dialog")?.open`) {
		t.Error("the live page asked for the token again")
	}
}

// footagePictures are the first n JPEGs of testdata/video, the frames footageEvents runs on.
func footagePictures(t *testing.T, n int) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(paths)
	out := make([][]byte, n)
	for i, p := range paths[:n] {
		var err error
		if out[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkLivePicture: the live canvas shows the last event's own frame under its skeleton. Away
// from the skeleton the canvas is the picture (patches compared with the decoded JPEG, scaled to
// the canvas); at the joints it is the skeleton's colours.
func checkLivePicture(t *testing.T, tab context.Context, ev schemas.KeypointEvent, picture []byte) {
	t.Helper()
	waitFor[bool](t, tab, "the last frame's picture under its skeleton", fmt.Sprintf(`live.dataset.seq === "%d" && live.dataset.picture === "true"`, ev.Seq),
		`"seq " + live.dataset.seq + ", picture " + live.dataset.picture + ", pictures " + live.dataset.pictures`)
	img, _, err := pixels.DecodeImage(picture, 0)
	if err != nil {
		t.Fatal(err)
	}
	cw, ch := eval[int](t, tab, `live.width`), eval[int](t, tab, `live.height`)
	// Patches on a grid, skipping those near a landmark (the drawing covers them).
	var at [][2]int
	for gy := 1; gy < 6; gy++ {
		for gx := 1; gx < 8; gx++ {
			x, y := float32(gx)/8, float32(gy)/6
			near := false
			for _, l := range ev.Pose.Landmarks {
				if dx, dy := (l.X-x)*float32(cw), (l.Y-y)*float32(ch); dx*dx+dy*dy < 40*40 {
					near = true
				}
			}
			if !near {
				at = append(at, [2]int{int(x * float32(cw)), int(y * float32(ch))})
			}
		}
	}
	js, _ := json.Marshal(at)
	patches := eval[[][]int](t, tab, `(() => {
		const g = live.getContext("2d");
		return `+string(js)+`.map(([x, y]) => Array.from(g.getImageData(x - 2, y - 2, 5, 5).data));
	})()`)
	same := 0
	for i, p := range at {
		want := photoPatch(img, p[0]*img.Width/cw, p[1]*img.Height/ch)
		if meanAbsDiff(patches[i], want) < 16 {
			same++
		}
	}
	t.Logf("live picture: %d of %d patches away from the skeleton match the frame", same, len(at))
	if len(at) < 10 || same < len(at)*8/10 {
		t.Errorf("only %d of %d patches away from the skeleton match the frame's picture", same, len(at))
	}
	// On top of the picture, each visible joint's disc at the landmark's place on the canvas.
	var joints [][2]int
	var tests []func(r, g, b int) bool
	for i, l := range ev.Pose.Landmarks {
		if l.Visibility >= 0.5 && l.Presence >= 0.5 && l.X > 0 && l.X < 1 && l.Y > 0 && l.Y < 1 {
			joints = append(joints, [2]int{int(l.X * float32(cw)), int(l.Y * float32(ch))})
			tests = append(tests, exactly(sideRGB(i)))
		}
	}
	js, _ = json.Marshal(joints)
	patches = eval[[][]int](t, tab, `(() => {
		const g = live.getContext("2d");
		return `+string(js)+`.map(([x, y]) => Array.from(g.getImageData(x - 2, y - 2, 5, 5).data));
	})()`)
	found := 0
	for i := range joints {
		if count(patches[i], tests[i]) >= 3 {
			found++
		}
	}
	t.Logf("live skeleton: %d of %d visible joints drawn at their place over the picture", found, len(joints))
	if len(joints) == 0 || found < len(joints)*8/10 {
		t.Errorf("only %d of %d visible joints drawn at their place over the picture", found, len(joints))
	}
}

// meanAbsDiff is the mean absolute difference of two RGBA patches of the same size (255 when not).
func meanAbsDiff(a, b []int) int {
	if len(a) != len(b) || len(a) == 0 {
		return 255
	}
	sum := 0
	for i := range a {
		sum += max(a[i]-b[i], b[i]-a[i])
	}
	return sum / len(a)
}

// testLiveCameraLater: the live page of a camera with no frame yet, while the streams waiting for
// such cameras are all taken (one, here, by another client), shows the server's refusal and
// tries again; once the landmarks table has the camera, its stream opens and its events are drawn.
func testLiveCameraLater(t *testing.T, tab context.Context, url string, lm *model.Landmarker, hub *gateway.Hub, cams *memCameras) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/cameras/made-up/events", nil)
	other, err := http.DefaultClient.Do(req)
	if err != nil || other.StatusCode != http.StatusOK {
		t.Fatalf("another client's stream of a made-up camera: %v %v", err, other)
	}
	defer other.Body.Close()

	do(t, tab, "open the live page", chromedp.Navigate(url+"/cameras/cam-late"))
	waitFor[bool](t, tab, "the refusal", `document.getElementById("conn").textContent.includes("no frame of camera")`,
		`document.getElementById("conn").textContent`)
	cams.mu.Lock()
	cams.cams["cam-late"] = schemas.CameraView{ID: "cam-late"}
	cams.mu.Unlock()
	waitFor[bool](t, tab, "the stream, once the table has the camera", `live.dataset.connected === "true"`,
		`document.getElementById("conn").textContent`)
	evs := footageEvents(t, lm, "cam-late", "user-late", 5)
	for _, ev := range evs {
		hub.PublishKeypoints(ev)
	}
	waitFor[bool](t, tab, "the events drawn", `+live.dataset.events >= 5`, `live.dataset.events`)
}
