package aggregate

import (
	"runtime"
	"sync"
)

// parallel calls fn(i) for every i in [0, n) on up to GOMAXPROCS goroutines, at least grain
// items each (fewer items run on fewer goroutines), and returns when all calls have returned.
// Goroutine w takes i = w, w+workers, …: items of similar cost stay evenly spread.
func parallel(n, grain int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/grain))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}
