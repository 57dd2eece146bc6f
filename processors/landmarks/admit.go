package landmarks

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/holostream/holostream/schemas"
)

// DefaultMaxSeqJump is how far ahead of a camera's last seq a frame's seq may be: a million
// frames is over nine hours at 30 fps, far more than any real gap, and far less than the int64
// seq a producer counting wrong (or a hostile one) would send to make every later frame look old.
const DefaultMaxSeqJump = 1_000_000

// seqVerdict is what a frame's seq means against the camera's state.
type seqVerdict int

const (
	seqNext      seqVerdict = iota // the next frame, or the first of the camera
	seqGap                         // ahead of the next: frames are missing
	seqDuplicate                   // not ahead of the last, and not captured later: seen already or out of order
	seqRestart                     // not ahead of the last but captured later: the producer restarted its count
	seqTooFar                      // more than MaxSeqJump ahead of the last
	seqNegative                    // below 0
)

// judgeSeq applies the sequence rules (see the package doc) to frame f against st.
func judgeSeq(st *CameraState, f *schemas.Frame, maxJump int64) seqVerdict {
	switch {
	case f.Seq < 0:
		return seqNegative
	case !st.HasSeq:
		return seqNext
	case f.Seq <= st.LastSeq:
		// A producer that restarts counts from its first seq again, with fresh capture times;
		// a frame sent twice, or overtaken, was captured no later than the last one.
		if f.CapturedAt.After(st.LastCapturedAt) {
			return seqRestart
		}
		return seqDuplicate
	case f.Seq-st.LastSeq > maxJump: // both >= 0: no overflow
		return seqTooFar
	case f.Seq == st.LastSeq+1:
		return seqNext
	}
	return seqGap
}

// deadLetterReserve is what a dead letter needs besides its original bytes, its key fields and
// its reason: the Avro envelope of the other fields, the hash, the registry framing.
const deadLetterReserve = 4 << 10

// maxReasonBytes bounds a dead letter's reason (a decoder's message can quote what it read).
const maxReasonBytes = 2 << 10

// fitDeadLetter describes the whole original in d and cuts d.Original to its first bytes when
// the dead letter would not fit in limit bytes (0: no limit), so writing it cannot fail for
// its size. The record key and the key and camera fields carry the key three times.
func fitDeadLetter(d *schemas.DeadLetter, limit int) {
	if len(d.Reason) > maxReasonBytes {
		d.Reason = d.Reason[:maxReasonBytes] + "..."
	}
	if d.Original == nil {
		d.OriginalSize = -1
		return
	}
	sum := sha256.Sum256(d.Original)
	d.OriginalSize, d.OriginalSHA256 = int64(len(d.Original)), hex.EncodeToString(sum[:])
	if limit <= 0 {
		return
	}
	room := limit - deadLetterReserve - 2*len(d.Key) - len(d.CameraID) - len(d.Reason) - len(d.Topic) - len(d.Code)
	if len(d.Original) > room {
		d.Original = d.Original[:max(room, 0)]
	}
}
