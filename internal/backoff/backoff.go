// Package backoff computes the waits between tries of something that
// failed: a delivery, a calendar sync.
package backoff

import "time"

// Wait is the wait after failures failures in a row: base doubled for
// each failure after the first, spread by ±10 % with u in [0, 1) (a
// random number, so that many retries started together drift apart), never
// more than most nor less than a millisecond.
func Wait(failures int, base, most time.Duration, u float64) time.Duration {
	d := base
	for i := 1; i < failures && d < most; i++ {
		d *= 2
	}
	d = time.Duration(float64(d) * (0.9 + 0.2*u))
	return min(max(d, time.Millisecond), most)
}
