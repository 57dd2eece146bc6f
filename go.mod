module github.com/holostream/holostream

go 1.26.8

require (
	github.com/mattn/go-pointer v0.0.1 // indirect
	github.com/mattn/go-tflite v1.0.5 // indirect
)
