// Package parallel runs bounded parallel loops whose every iteration's
// outcome matters (one error per item, not the first one).
package parallel

import (
	"fmt"

	"golang.org/x/sync/errgroup"
)

// Each runs f(0..n-1) with at most jobs at once (at least 1) and returns
// each call's error at its index. A panic in f becomes that index's error,
// so one bad item cannot take the others down with a stack trace.
func Each(n, jobs int, f func(i int) error) []error {
	errs := make([]error, n)
	var g errgroup.Group
	g.SetLimit(max(jobs, 1))
	for i := range n {
		g.Go(func() error {
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("internal error: %v (please report it with the command line)", r)
				}
			}()
			errs[i] = f(i)
			return nil
		})
	}
	g.Wait()
	return errs
}
