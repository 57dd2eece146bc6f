package model

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// The custom options of face_landmark_with_attention.tflite's first Landmarks2TransformMatrix
// (the lips crop) and of its TransformTensorBilinear ops, as the model file holds them.
const (
	l2mOptionsHex = "" +
		"6c6566745f726f746174696f6e5f696478006f75747075745f686569676874006f75747075745f776964746800726967" +
		"68745f726f746174696f6e5f696478007363616c655f78007363616c655f79007375627365745f696478730050003d00" +
		"92005b00b500540011003a019501410177012301b90028002700250000000b010d010e0199014e005f005800b2005700" +
		"0e003d0192013e0144013401bf005000510052000d003801370136019f014c004d005a00b400550010003b0194014001" +
		"33013201b8004a00490048000b002e012f01300198013e0060005900b30056000f003c0193013f0145012401b7002a00" +
		"290026000c000c010f01100197017461726765745f726f746174696f6e5f72616469616e7300080018010801fc00f100" +
		"e000da00d40028001000000002000000080000003d0000001000000010000000230100000000c03f0000c03fee000000" +
		"00000000060606060e0e2d0e282601"
	bilinearOptionsHex = "" +
		"6f75747075745f686569676874006f75747075745f776964746800021c0f02010210100404042401"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flexMap builds a FlexBuffers map the way flatbuffers' builder lays one out, every value 4
// bytes wide: keys (sorted), typed int vectors, the keys vector, then the map and the root.
// Values are int (INT), float32 (FLOAT) or []int32 (VECTOR_INT).
func flexMap(t testing.TB, fields map[string]any) []byte {
	t.Helper()
	var b []byte
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	pad := func() {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	keyPos := map[string]int{}
	for _, k := range keys {
		keyPos[k] = len(b)
		b = append(append(b, k...), 0)
	}
	vecPos := map[string]int{}
	for _, k := range keys {
		if v, ok := fields[k].([]int32); ok {
			pad()
			u32(uint32(len(v)))
			vecPos[k] = len(b)
			for _, x := range v {
				u32(uint32(x))
			}
		}
	}
	pad()
	u32(uint32(len(keys)))
	keysVec := len(b)
	for _, k := range keys {
		u32(uint32(len(b) - keyPos[k]))
	}
	u32(uint32(len(b) - keysVec)) // offset to the keys vector
	u32(4)                        // its width
	u32(uint32(len(keys)))
	mapPos := len(b)
	var types []byte
	for _, k := range keys {
		switch v := fields[k].(type) {
		case int:
			u32(uint32(int32(v)))
			types = append(types, 1<<2|2)
		case float32:
			u32(math.Float32bits(v))
			types = append(types, 3<<2|2)
		case []int32:
			u32(uint32(len(b) - vecPos[k]))
			types = append(types, 11<<2|2)
		default:
			t.Fatalf("flexMap: %s is %T", k, v)
		}
	}
	b = append(b, types...)
	pad()
	root := len(b)
	u32(uint32(root - mapPos))
	return append(b, 9<<2|2, 4) // root: a map, 4 bytes wide
}

// l2mFields are the options of the model's lips Landmarks2TransformMatrix.
func l2mFields() map[string]any {
	return map[string]any{
		"left_rotation_idx": 61, "right_rotation_idx": 291, "output_height": 16, "output_width": 16,
		"scale_x": float32(1.5), "scale_y": float32(1.5), "target_rotation_radians": float32(0),
		"subset_idxs": []int32{61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291},
	}
}

// TestFlexParsesModelOptions reads the options exactly as the model file holds them (2-byte
// typed vectors, 1-byte root) and as our builder lays them out.
func TestFlexParsesModelOptions(t *testing.T) {
	t.Parallel()
	a, err := parseL2M(mustHex(t, l2mOptionsHex))
	if err != nil {
		t.Fatal(err)
	}
	if a.LeftRotation != 61 || a.RightRotation != 291 || a.OutputHeight != 16 || a.OutputWidth != 16 ||
		a.ScaleX != 1.5 || a.ScaleY != 1.5 || a.TargetRotation != 0 || len(a.Subset) != 80 ||
		!reflect.DeepEqual(a.Subset[:11], []int{61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291}) || a.Subset[79] != 407 {
		t.Errorf("model's lips options: %+v", a)
	}
	if h, w, err := parseBilinear(mustHex(t, bilinearOptionsHex)); err != nil || h != 16 || w != 16 {
		t.Errorf("model's bilinear options: %d x %d, %v", h, w, err)
	}
	b, err := parseL2M(flexMap(t, l2mFields()))
	if err != nil || b.LeftRotation != 61 || b.ScaleY != 1.5 || len(b.Subset) != 11 || b.Subset[10] != 291 {
		t.Errorf("built options: %+v, %v", b, err)
	}
}

// TestFlexRejectsMalformedOptions: a buffer that is not a well-formed map of the expected keys
// and types, or whose values MediaPipe's Eval would reject, fails to parse; none crashes.
func TestFlexRejectsMalformedOptions(t *testing.T) {
	t.Parallel()
	with := func(k string, v any) []byte {
		f := l2mFields()
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
		return flexMap(t, f)
	}
	model := mustHex(t, l2mOptionsHex)
	corrupt := func(at int, v byte) []byte {
		b := bytes.Clone(model)
		if at < 0 {
			at += len(b)
		}
		b[at] = v
		return b
	}
	for i, buf := range [][]byte{
		nil,
		{0},
		{1, 4, 1},              // root is the int 1, not a map
		corrupt(-1, 3),         // root width 3
		corrupt(-1, 0),         // root width 0
		corrupt(-3, 0xff),      // root offset past the start of the buffer
		corrupt(-2, 1<<2|0),    // root typed as an int
		model[:len(model)-1],   // truncated: the root moves
		model[len(model)/2:],   // the second half alone
		with("scale_y", nil),   // a required key missing
		with("subset_idxs", 7), // an int where a vector belongs
		with("subset_idxs", []int32{}),
		with("subset_idxs", []int32{3, -1}),
		with("left_rotation_idx", -1),
		with("output_height", 0),
		with("scale_x", float32(0)),
		with("scale_x", float32(math.NaN())),
		with("output_width", float32(1e30)), // an int that does not fit
	} {
		if a, err := parseL2M(buf); !errors.Is(err, errFlex) {
			t.Errorf("%d: parsed %+v, want an error", i, a)
		}
	}
	// A missing target rotation is 0, as flexbuffers' null reads in MediaPipe.
	if a, err := parseL2M(with("target_rotation_radians", nil)); err != nil || a.TargetRotation != 0 {
		t.Errorf("no target rotation: %+v, %v", a, err)
	}
	// Every truncation and every single-byte change of the real options either parses or fails
	// cleanly; what parses passes the checks.
	for n := range len(model) {
		parseL2M(model[:n])
		for _, v := range []byte{0, 0x7f, 0xff} {
			if a, err := parseL2M(corrupt(n, v)); err == nil && (len(a.Subset) == 0 || a.OutputHeight <= 0 || a.ScaleX <= 0) {
				t.Fatalf("byte %d = %#x: parsed invalid options %+v", n, v, a)
			}
		}
	}
	for _, buf := range [][]byte{nil, {9<<2 | 2, 4}, flexMap(t, map[string]any{"output_height": 16})} {
		if _, _, err := parseBilinear(buf); err == nil {
			t.Errorf("bilinear options %x parsed", buf)
		}
	}
}

// FuzzFlexOptions: any bytes either fail to parse as either op's options or give options that
// pass MediaPipe's checks; the reader never reads outside the buffer (run with -race or under
// a sanitizer to catch that) and never crashes.
func FuzzFlexOptions(f *testing.F) {
	f.Add(mustHex(f, l2mOptionsHex))
	f.Add(mustHex(f, bilinearOptionsHex))
	f.Add(flexMap(f, l2mFields()))
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := parseL2M(data); err == nil {
			if len(a.Subset) == 0 || a.LeftRotation < 0 || a.RightRotation < 0 || a.OutputWidth <= 0 || a.OutputHeight <= 0 || !(a.ScaleX > 0) || !(a.ScaleY > 0) {
				t.Fatalf("invalid options parsed: %+v", a)
			}
		}
		if h, w, err := parseBilinear(data); err == nil && (h <= 0 || w <= 0) {
			t.Fatalf("bilinear size %d x %d parsed", h, w)
		}
	})
}

func matrixNear(t *testing.T, name string, got [16]float32, want [16]float32) {
	t.Helper()
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Errorf("%s: matrix %v, want %v", name, got, want)
			return
		}
	}
}

// TestAttentionLandmarksToMatrix checks Landmarks2TransformMatrix against matrices worked out by
// hand: the subset's bounding box in the frame where left → right is horizontal, mapped onto a
// 4x4 output.
func TestAttentionLandmarksToMatrix(t *testing.T) {
	t.Parallel()
	opts := func(scale float32) []byte {
		return flexMap(t, map[string]any{
			"left_rotation_idx": 0, "right_rotation_idx": 1, "output_height": 4, "output_width": 4,
			"scale_x": scale, "scale_y": scale, "target_rotation_radians": float32(0),
			"subset_idxs": []int32{0, 1, 2}, // an odd count: MediaPipe repeats the last
		})
	}
	for _, tc := range []struct {
		name  string
		lms   []float32 // x, y, z of landmarks 0, 1, 2 (3 is outside the subset)
		scale float32
		want  [16]float32
	}{{
		// Left → right already horizontal: the box is x 0..2, y 0..1, so output (u, v) samples
		// (u/2, v/4): scale 2/4 and 1/4, the box's corner at the output's.
		name:  "level",
		lms:   []float32{0, 0, 9, 2, 0, 9, 1, 1, 9, 50, 50, 9},
		scale: 1,
		want:  [16]float32{0.5, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
	}, {
		// Left → right points down the image (y grows downwards): rotation -π/2. In that frame
		// the points are (0,0), (2,0), (1,1): the same box, centre (1, 0.5), which is (-0.5, 1)
		// in the image. Output (u, v) samples (-v/4, u/2).
		name:  "rotated",
		lms:   []float32{0, 0, 0, 0, 2, 0, -1, 1, 0},
		scale: 1,
		want:  [16]float32{0, -0.25, 0, 0, 0.5, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
	}, {
		// Scale 2 doubles the box about its centre (1, 0.5): output (0, 0) samples (-1, -0.5).
		name:  "scaled",
		lms:   []float32{0, 0, 0, 2, 0, 0, 1, 1, 0},
		scale: 2,
		want:  [16]float32{1, 0, 0, -1, 0, 0.5, 0, -0.5, 0, 0, 1, 0, 0, 0, 0, 1},
	}} {
		got, err := landmarksToMatrix(opts(tc.scale), tc.lms)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		matrixNear(t, tc.name, got, tc.want)
	}
	if _, err := landmarksToMatrix(opts(1), []float32{0, 0, 0, 1, 1, 1}); err == nil {
		t.Error("index 2 of 2 landmarks accepted")
	}
}

// TestAttentionBilinear checks TransformTensorBilinear on a 2x3 tensor of 2 channels: the
// identity copies it (the last column and row too, whose missing neighbours weigh 0), a
// half-pixel shift averages neighbours, points past the edge are 0, and the align-corners
// correction moves a scaled grid by half a pixel.
func TestAttentionBilinear(t *testing.T) {
	t.Parallel()
	in := []float32{
		1, -1, 2, -2, 3, -3,
		4, -4, 5, -5, 6, -6,
	}
	identity := [16]float32{0: 1, 5: 1, 10: 1, 15: 1}
	if got := bilinear(in, 2, 3, 2, identity, 2, 3); !reflect.DeepEqual(got, in) {
		t.Errorf("identity: %v", got)
	}
	// A 3x4 output: column 3 and row 2 fall outside the input.
	got := bilinear(in, 2, 3, 2, identity, 3, 4)
	want := []float32{
		1, -1, 2, -2, 3, -3, 0, 0,
		4, -4, 5, -5, 6, -6, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identity onto 3x4: %v", got)
	}
	shift := identity
	shift[3] = 0.5 // x + 0.5: halfway between columns; column 2 + 0.5 is outside
	want = []float32{1.5, -1.5, 2.5, -2.5, 0, 0, 4.5, -4.5, 5.5, -5.5, 0, 0}
	if got := bilinear(in, 2, 3, 2, shift, 2, 3); !reflect.DeepEqual(got, want) {
		t.Errorf("half-pixel shift: %v", got)
	}
	// Scale ½ on a one-channel ramp f(x, y) = 4x + 12y, which bilinear sampling reproduces
	// exactly: the corrected translation is ½·½ + 0·½ - ½ = -¼, so output (x, y) samples
	// (x/2 - ¼, y/2 - ¼). Column 0 and row 0 fall outside; (1, 1) samples (¼, ¼), 1 + 3 = 4.
	ramp := []float32{0, 4, 8, 12, 16, 20}
	half := [16]float32{0: 0.5, 5: 0.5, 10: 1, 15: 1}
	got = bilinear(ramp, 2, 3, 1, half, 3, 4)
	want = make([]float32, 12)
	for y := 1; y < 3; y++ {
		for x := 1; x < 4; x++ {
			want[4*y+x] = 4*(float32(x)/2-0.25) + 12*(float32(y)/2-0.25)
		}
	}
	if !reflect.DeepEqual(got, want) || got[5] != 4 {
		t.Errorf("scale ½: %v, want %v", got, want)
	}
}

// TestAttentionTransformLandmarks: x and y go through the matrix's first two rows, z is copied.
func TestAttentionTransformLandmarks(t *testing.T) {
	t.Parallel()
	// (x, y) → (-y + 5, x + 7): a quarter turn and a shift.
	m := [16]float32{0, -1, 0, 5, 1, 0, 0, 7, 0, 0, 1, 0, 0, 0, 0, 1}
	if got := transformLandmarks([]float32{1, 2, 3, -4, 0.5, 9}, 3, m); !reflect.DeepEqual(got, []float32{3, 8, 3, 4.5, 3, 9}) {
		t.Errorf("3-D: %v", got)
	}
	if got := transformLandmarks([]float32{1, 2, 0, 0}, 2, m); !reflect.DeepEqual(got, []float32{3, 8, 5, 7}) {
		t.Errorf("2-D: %v", got)
	}
}

// TestAttentionModelRejectsBadOptions runs the real model with its custom options corrupted in
// the file: the interpreter fails to build with an error (prepare rejects them), no crash. Once
// with a root the reader refuses, once with a subset index past the 468 landmarks, which
// MediaPipe's kernel would read out of bounds.
func TestAttentionModelRejectsBadOptions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(DefaultModelDir(), "face_landmark_with_attention.tflite")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make setup`)", err)
	}
	opts := mustHex(t, l2mOptionsHex)
	at := bytes.Index(data, opts)
	if at < 0 || bytes.Count(data, opts) != 1 {
		t.Fatal("the lips crop's options are not in the model once")
	}
	// The first subset index, 61 as a 2-byte int, sits right after the vector's size 80.
	first := bytes.Index(opts, []byte{80, 0, 61, 0}) + 2
	for _, tc := range []struct {
		name string
		at   int
		v    byte
	}{{"root width 3", len(opts) - 1, 3}, {"subset index 32767", first + 1, 0x7f}} {
		bad := bytes.Clone(data)
		bad[at+tc.at] = tc.v
		file := filepath.Join(t.TempDir(), "bad.tflite")
		if err := os.WriteFile(file, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := loadCustomNetwork(file, "bad")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ip, err := newInterpreter(n, 1, tensorSpec{}, nil)
		if err == nil {
			ip.close()
			t.Errorf("%s: interpreter built", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
		n.close()
	}
}
