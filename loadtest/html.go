package loadtest

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"n": func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) },
	"opt": func(x *float64) string {
		if x == nil {
			return "–"
		}
		return strconv.FormatFloat(*x, 'f', 1, 64)
	},
	"plus":   func(a, b float64) float64 { return a + b },
	"minus":  func(a, b float64) float64 { return a - b },
	"when":   func(t time.Time) string { return t.Format(time.RFC3339) },
	"errors": errorList,
}).Parse(reportTemplate))

// HTML writes the report as one self-contained page: the run, a table of the steps, and per
// step an SVG chart of latency percentiles and one of frames sent and processed per second. No
// script, no outside resource.
func (r *Report) HTML(w io.Writer) error {
	type stepView struct {
		Step
		Latency, Throughput chart
	}
	v := struct {
		*Report
		Views []stepView
	}{Report: r}
	for _, s := range r.Steps {
		v.Views = append(v.Views, stepView{Step: s, Latency: latencyChart(s), Throughput: throughputChart(s)})
	}
	return page.Execute(w, v)
}

func errorList(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// chart is an SVG line chart laid out in user units (pixels), y growing downwards.
type chart struct {
	Title, YLabel  string
	W, H           float64
	L, T, R, B     float64 // the plot area's left, top, right, bottom
	Warmup         *float64
	XTicks, YTicks []tick
	Lines          []line
}

type tick struct {
	Pos   float64
	Label string
}

// line is one series as an SVG path; a gap (a second without a value) starts a new subpath,
// and a lone point is a zero-length subpath that the round line cap draws as a dot.
type line struct {
	Name, Color string
	Dash        string // stroke-dasharray; "" solid
	D           string
	LegendX     float64
}

// point is a series' value at second T; Ok false is a gap.
type point struct {
	V  float64
	Ok bool
}

func newChart(title, ylabel string, seconds int, warmup float64, series, colors, dashes []string, values [][]point) chart {
	c := chart{Title: title, YLabel: ylabel, W: 540, H: 230, L: 56, T: 28, R: 530, B: 196}
	top := 0.0
	for _, s := range values {
		for _, p := range s {
			if p.Ok {
				top = max(top, p.V)
			}
		}
	}
	ymax, ystep := niceScale(top)
	xmax := float64(max(1, seconds))
	x := func(t float64) float64 { return c.L + (c.R-c.L)*t/xmax }
	y := func(v float64) float64 { return c.B - (c.B-c.T)*v/ymax }
	if warmup > 0 {
		w := x(min(warmup, xmax)) - c.L
		c.Warmup = &w
	}
	for v := 0.0; v <= ymax+ystep/2; v += ystep {
		c.YTicks = append(c.YTicks, tick{Pos: y(v), Label: trimFloat(v)})
	}
	_, xstep := niceScale(xmax)
	xstep = math.Max(1, xstep)
	for t := 0.0; t <= xmax+1e-9; t += xstep {
		c.XTicks = append(c.XTicks, tick{Pos: x(t), Label: trimFloat(t)})
	}
	for i, s := range values {
		var d strings.Builder
		open := false
		for t, p := range s {
			if !p.Ok {
				open = false
				continue
			}
			// Each value is drawn at the middle of its second.
			px, py := x(float64(t)+0.5), y(p.V)
			if open {
				fmt.Fprintf(&d, " L%.1f %.1f", px, py)
			} else {
				fmt.Fprintf(&d, " M%.1f %.1f L%.1f %.1f", px, py, px, py)
				open = true
			}
		}
		c.Lines = append(c.Lines, line{Name: series[i], Color: colors[i], Dash: dashes[i], D: strings.TrimSpace(d.String()),
			LegendX: c.R - float64(len(values)-i)*80})
	}
	return c
}

func latencyChart(s Step) chart {
	vals := make([][]point, 3)
	for _, sec := range s.Series {
		for i, v := range []*float64{sec.P50, sec.P95, sec.P99} {
			if v == nil {
				vals[i] = append(vals[i], point{})
			} else {
				vals[i] = append(vals[i], point{V: *v, Ok: true})
			}
		}
	}
	return newChart(fmt.Sprintf("Step %d (%s): latency per second", s.Index, s.Label()), "ms", len(s.Series), s.WarmupS,
		[]string{"p50", "p95", "p99"}, []string{"#1b9e77", "#d95f02", "#7570b3"}, []string{"", "", "5 3"}, vals)
}

func throughputChart(s Step) chart {
	vals := make([][]point, 2)
	for _, sec := range s.Series {
		vals[0] = append(vals[0], point{V: float64(sec.Sent), Ok: true})
		vals[1] = append(vals[1], point{V: float64(sec.Processed), Ok: true})
	}
	return newChart(fmt.Sprintf("Step %d (%s): frames per second", s.Index, s.Label()), "frames/s", len(s.Series), s.WarmupS,
		[]string{"sent", "processed"}, []string{"#999999", "#1f78b4"}, []string{"5 3", ""}, vals)
}

// niceScale returns an axis maximum >= top and a tick step of 1, 2 or 5 times a power of ten,
// making at most 8 steps.
func niceScale(top float64) (axisMax, step float64) {
	if !(top > 0) {
		return 1, 0.25
	}
	raw := top / 8
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Ceil(top/step-1e-9) * step, step
}

func trimFloat(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }
