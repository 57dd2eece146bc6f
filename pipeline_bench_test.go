package main

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/holostream/holostream/model"
)

// BenchmarkPipelineVsLoop measures, in one run, the same frames (4 cameras of real footage at 30
// fps each, more than the models can keep up with on this machine) through the whole pipeline
// (producer -> Kafka (embedded) -> landmarks processor -> keypoints -> consumer, Avro with the
// registry) and through the landmarker in a plain loop (decode + track, one goroutine a camera,
// same workers). The ratio pipeline/loop is the cost of the stream machinery; DESIGN.md budgets
// it at >= 0.85.
func BenchmarkPipelineVsLoop(b *testing.B) {
	const cameras, perCamera, fps = 4, 60, 30
	kind := model.PoseLite
	workers := runtime.NumCPU()
	src, err := defaultFootage()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		// The plain loop.
		lm, err := model.Open(kind, model.WithWorkers(workers))
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for c := 0; c < cameras; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var tr model.Track
				for f := 0; f < perCamera; f++ {
					img, _, err := model.DecodeImage(src[f%len(src)].Data, 0)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := lm.Track(img, &tr, time.Duration(f)*time.Second/fps); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		loopFPS := float64(cameras*perCamera) / time.Since(start).Seconds()
		lm.Close()

		// The pipeline.
		pf := processorFlags{model: string(kind), workers: workers, threads: 1, maxImageBytes: 8 << 20,
			maxMegapixels: 50, window: 10 * time.Second, grace: 2 * time.Second}
		sum, err := demo(context.Background(), quietLog(), pf, demoOptions{frames: cameras * perCamera, cameras: cameras,
			fps: fps, partitions: cameras, timeout: 5 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(loopFPS, "loop-fps")
		b.ReportMetric(sum.FPS, "pipeline-fps")
		b.ReportMetric(sum.FPS/loopFPS, "ratio")
		b.ReportMetric(sum.LatencyMs.P50, "p50-ms")
		b.ReportMetric(sum.LatencyMs.P99, "p99-ms")
	}
}
