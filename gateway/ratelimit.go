package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters keeps one token bucket per client. A client is its address (streamClient: an IPv6
// address by its /64), not its bearer token: the server has one token, shared by every client,
// and keyed by it one client over its rate would hold back all the others. Buckets idle for longer than idleLimiter are
// forgotten, so a scan from many addresses cannot grow the map without bound.
type limiters struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	byKey map[string]*clientLimiter
	swept time.Time
}

type clientLimiter struct {
	lim  *rate.Limiter
	seen time.Time
}

const idleLimiter = 5 * time.Minute

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{rate: rate.Limit(perSecond), burst: max(1, burst), byKey: map[string]*clientLimiter{}, swept: time.Now()}
}

// allow takes a token for key's client; when there is none it returns false and how long until
// there will be.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleLimiter {
		for k, c := range l.byKey {
			if now.Sub(c.seen) > idleLimiter {
				delete(l.byKey, k)
			}
		}
		l.swept = now
	}
	c := l.byKey[key]
	if c == nil {
		c = &clientLimiter{lim: rate.NewLimiter(l.rate, l.burst)}
		l.byKey[key] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientKey names the client of a request for rate limiting and logs.
func clientKey(r *http.Request) string {
	if tok := bearer(r); tok != "" {
		sum := sha256.Sum256([]byte(tok)) // never the token itself: keys end up in logs
		return "token:" + hex.EncodeToString(sum[:6])
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bearer is the request's token: the Authorization: Bearer header, or the access_token query
// parameter on the one route that needs it (queryTokenRoute). Only there: a token in a URL ends
// up in proxies' logs and browser history, so no other route invites it.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if queryTokenRoute(r) {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// eventsRoute is the pattern of the event streams.
const eventsRoute = "GET /v1/cameras/{id}/events"

// queryTokenRoute reports whether r is for the event streams, which browsers open with
// EventSource, which cannot send headers. r.Pattern is set once the mux has routed r.
func queryTokenRoute(r *http.Request) bool { return r.Pattern == eventsRoute }
