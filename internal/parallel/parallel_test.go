package parallel

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	t.Parallel()
	var running, peak atomic.Int32
	errs := Each(20, 3, func(i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		switch i {
		case 4:
			return errors.New("four")
		case 7:
			panic("seven")
		}
		return nil
	})
	if peak.Load() > 3 {
		t.Errorf("%d ran at once, limit 3", peak.Load())
	}
	for i, err := range errs {
		switch {
		case i == 4 && (err == nil || err.Error() != "four"):
			t.Errorf("errs[4] = %v", err)
		case i == 7 && (err == nil || !strings.Contains(err.Error(), "internal error: seven")):
			t.Errorf("errs[7] = %v", err)
		case i != 4 && i != 7 && err != nil:
			t.Errorf("errs[%d] = %v", i, err)
		}
	}
}
