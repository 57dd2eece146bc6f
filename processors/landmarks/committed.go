package landmarks

import "sync"

// Committed holds each frame's observation until its record is committed, then passes it on.
// Process observes a frame when it has emitted its keypoint event (or dead letter) and set its
// table row, but those writes are acknowledged later, and may be refused: a processor that cannot
// write stops, and reads the frame again after its restart. Counted at once, a frame whose event
// never landed would count as emitted, and again at each retry. goka commits a record only once
// every write it caused is acknowledged, so the commit is when its outcome is real.
type Committed struct {
	observe func(Observation)
	mu      sync.Mutex
	held    map[recordID]Observation
	passed  int64
}

type recordID struct {
	topic     string
	partition int32
	offset    int64
}

// NewCommitted passes observations on to observe once committed.
func NewCommitted(observe func(Observation)) *Committed {
	return &Committed{observe: observe, held: map[recordID]Observation{}}
}

// Observe holds o until its record is committed; use it as Config.Observe.
func (c *Committed) Observe(o Observation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held[recordID{o.Topic, o.Partition, o.Offset}] = o
}

// Marked passes on the observation of the record before next, committed now (goka marks each
// record on its own, once its writes are acknowledged).
func (c *Committed) Marked(topic string, partition int32, next int64) {
	id := recordID{topic, partition, next - 1}
	c.mu.Lock()
	o, ok := c.held[id]
	if ok {
		delete(c.held, id)
		c.passed++
	}
	c.mu.Unlock()
	if ok {
		c.observe(o)
	}
}

// Reset drops what is held: the session ended, and its uncommitted records will be read again.
func (c *Committed) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.held)
}

// Passed is how many observations were passed on: frames whose processing was committed.
func (c *Committed) Passed() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.passed
}

// Held is how many observations wait for their record's commit.
func (c *Committed) Held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held)
}
