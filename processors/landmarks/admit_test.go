package landmarks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

func TestJudgeSeq(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	last := &CameraState{HasSeq: true, LastSeq: 100, LastCapturedAt: t0}
	for i, tc := range []struct {
		st   *CameraState
		seq  int64
		at   time.Time
		want seqVerdict
	}{
		{&CameraState{}, 1, t0, seqNext},
		{&CameraState{}, math.MaxInt64, t0, seqNext}, // a new camera may start anywhere
		{&CameraState{}, -1, t0, seqNegative},
		{last, 101, t0.Add(time.Second), seqNext},
		{last, 105, t0.Add(time.Second), seqGap},
		{last, 100 + DefaultMaxSeqJump, t0.Add(time.Second), seqGap},
		{last, 101 + DefaultMaxSeqJump, t0.Add(time.Second), seqTooFar},
		{last, math.MaxInt64, t0.Add(time.Second), seqTooFar},
		{last, 100, t0, seqDuplicate},                     // sent twice
		{last, 99, t0.Add(-time.Second), seqDuplicate},    // overtaken
		{last, 1, t0.Add(time.Minute), seqRestart},        // the producer counts from 1 again
		{last, 100, t0.Add(time.Microsecond), seqRestart}, // ... even when it got as far as before
		{last, -5, t0.Add(time.Minute), seqNegative},
		{&CameraState{HasSeq: true, LastSeq: math.MaxInt64, LastCapturedAt: t0}, 1, t0.Add(time.Second), seqRestart},
	} {
		f := &schemas.Frame{Seq: tc.seq, CapturedAt: tc.at}
		if got := judgeSeq(tc.st, f, DefaultMaxSeqJump); got != tc.want {
			t.Errorf("%d: seq %d at %v: verdict %d, want %d", i, tc.seq, tc.at, got, tc.want)
		}
	}
}

// FuzzFitDeadLetter: whatever the original, key and reason, a fitted dead letter's original is
// a prefix of the original, its size and hash describe the whole, and what the dead letter
// carries besides fits the limit with the reserve to spare.
func FuzzFitDeadLetter(f *testing.F) {
	f.Add(1000, 100, 10, 4096+500)
	f.Add(0, 0, 0, 0)
	f.Add(1<<20, 3000, 5000, 320<<10)
	f.Fuzz(func(t *testing.T, size, keyLen, reasonLen, limit int) {
		if size < 0 || size > 4<<20 || keyLen < 0 || keyLen > 1<<16 || reasonLen < 0 || reasonLen > 1<<16 || limit < 0 {
			t.Skip()
		}
		orig := bytes.Repeat([]byte{7}, size)
		d := schemas.DeadLetter{Key: strings.Repeat("k", keyLen), CameraID: strings.Repeat("k", keyLen),
			Reason: strings.Repeat("r", reasonLen), Code: CodeBadEnvelope, Topic: "frames", Original: orig}
		fitDeadLetter(&d, limit)
		sum := sha256.Sum256(orig)
		if d.OriginalSize != int64(size) || d.OriginalSHA256 != hex.EncodeToString(sum[:]) || !bytes.HasPrefix(orig, d.Original) {
			t.Fatalf("size %d sha %s: not the whole original's", d.OriginalSize, d.OriginalSHA256)
		}
		if len(d.Reason) > maxReasonBytes+3 {
			t.Fatalf("reason of %d bytes", len(d.Reason))
		}
		carried := len(d.Original) + 2*len(d.Key) + len(d.CameraID) + len(d.Reason) + len(d.Topic) + len(d.Code)
		if limit > 0 && len(d.Original) > 0 && carried+deadLetterReserve > limit {
			t.Fatalf("carries %d bytes + reserve %d, limit %d", carried, deadLetterReserve, limit)
		}
		if limit == 0 && len(d.Original) != size {
			t.Fatal("no limit, yet cut")
		}
	})
}

func TestFitDeadLetterNullValue(t *testing.T) {
	t.Parallel()
	d := schemas.DeadLetter{Code: CodeNullValue}
	fitDeadLetter(&d, 1000)
	if d.OriginalSize != -1 || d.OriginalSHA256 != "" {
		t.Errorf("a null value: size %d sha %q, want -1 and none", d.OriginalSize, d.OriginalSHA256)
	}
}
