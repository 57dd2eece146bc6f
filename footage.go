package main

import (
	"embed"
	"fmt"

	"github.com/holostream/holostream/camera"
)

// footage is real video of people walking (OpenCV's vtest.avi, see testdata/video/SOURCES.md),
// built into the binary so `holostream demo` and `produce` need no files.
//
//go:embed testdata/video/*.jpg
var footage embed.FS

func defaultFootage() (camera.Source, error) { return camera.FromFS(footage, "testdata/video/*.jpg") }

// cameras are n simulated cameras named prefix-1..n (prefix itself when n is 1), each sending
// as user (its own id when user is empty) at fps.
func cameras(prefix, user string, n int, fps float64) []camera.Camera {
	var out []camera.Camera
	for i := 1; i <= n; i++ {
		id := prefix
		if n > 1 {
			id = fmt.Sprintf("%s-%d", prefix, i)
		}
		u := user
		if u == "" {
			u = id
		}
		out = append(out, camera.Camera{ID: id, User: u, FPS: fps})
	}
	return out
}
