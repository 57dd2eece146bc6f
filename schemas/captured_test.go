package schemas

import (
	"strings"
	"testing"
	"time"
)

// TestCheckCapturedAt: the one capture-time rule the gateway and the processor apply.
func TestCheckCapturedAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for i, tc := range []struct {
		at   time.Time
		ok   bool
		want string
	}{
		{now, true, ""},
		{now.Add(-30 * 24 * time.Hour), true, ""},
		{now.Add(time.Hour), true, ""},
		{now.Add(time.Hour + time.Microsecond), false, "ahead"},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), false, "ahead"},
		{time.Unix(0, 0), false, "clock set"},
		{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false, "before 2000"},
		{MinCapturedAt, true, ""},
	} {
		err := CheckCapturedAt(tc.at, now, time.Hour)
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%d: %v: %v, want ok=%v mentioning %q", i, tc.at, err, tc.ok, tc.want)
		}
	}
}
