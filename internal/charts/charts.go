// Package charts draws the dashboard's charts as SVG on the server: no
// JavaScript, no library, nothing fetched from elsewhere. A chart is a
// piece of HTML (an <svg> with a <title> and a table-like description for
// screen readers) that scales to its container's width. Every text in it is
// escaped. Colours are presentation attributes, which a Content Security
// Policy without inline styles allows.
package charts

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Palette are the series' colours, in order.
var Palette = []string{"#0b6e4f", "#d1495b", "#edae49", "#00798c", "#6c757d"}

// Bar is one row of a bar chart.
type Bar struct {
	Label string
	Value float64
	// Text is what is written after the bar; the value when empty.
	Text string
}

// Bars draws horizontal bars, one per row, longest scaled to the width:
// for categories (services, error codes, ages).
func Bars(title string, bars []Bar) template.HTML {
	const (
		width   = 640
		labelW  = 210
		textW   = 70
		rowH    = 26
		barH    = 16
		padding = 8
	)
	if len(bars) == 0 {
		return empty(title)
	}
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.Value)
	}
	height := padding*2 + rowH*len(bars)
	var s strings.Builder
	open(&s, title, width, height)
	span := float64(width - labelW - textW - padding)
	for i, b := range bars {
		y := padding + i*rowH
		w := 0.0
		if maxV > 0 {
			w = span * b.Value / maxV
		}
		text := b.Text
		if text == "" {
			text = num(b.Value)
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" font-size="13" fill="#222">%s</text>`,
			labelW-6, y+barH-3, esc(clip(b.Label, 30)))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%s" height="%d" rx="2" fill="%s"><title>%s: %s</title></rect>`,
			labelW, y, num(w), barH, Palette[0], esc(b.Label), esc(text))
		fmt.Fprintf(&s, `<text x="%s" y="%d" font-size="13" fill="#222">%s</text>`, num(float64(labelW)+w+6), y+barH-3, esc(text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// Series is one named row of values, one per label of a column chart.
type Series struct {
	Name   string
	Values []float64
}

// Columns draws stacked columns, one per label (days, say), the series
// stacked in order, with a legend, the largest total marked on the axis.
func Columns(title string, labels []string, series []Series) template.HTML {
	const (
		width   = 640
		height  = 240
		left    = 44
		right   = 8
		top     = 28
		bottom  = 40
		legendY = 16
	)
	if len(labels) == 0 || len(series) == 0 {
		return empty(title)
	}
	totals := make([]float64, len(labels))
	for _, se := range series {
		for i := range labels {
			if i < len(se.Values) {
				totals[i] += se.Values[i]
			}
		}
	}
	maxV := 0.0
	for _, t := range totals {
		maxV = math.Max(maxV, t)
	}
	top5 := niceCeil(maxV)
	var s strings.Builder
	open(&s, title, width, height)
	plotH := float64(height - top - bottom)
	plotW := float64(width - left - right)
	// Axis and two grid lines.
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(top) + plotH*(1-f)
		fmt.Fprintf(&s, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd"/>`, left, num(y), width-right, num(y))
		fmt.Fprintf(&s, `<text x="%d" y="%s" text-anchor="end" font-size="11" fill="#555">%s</text>`, left-4, num(y+4), num(top5*f))
	}
	slot := plotW / float64(len(labels))
	colW := math.Max(2, slot*0.7)
	every := int(math.Ceil(float64(len(labels)) / 10)) // at most 10 labels under the axis
	for i, l := range labels {
		x := float64(left) + slot*float64(i) + (slot-colW)/2
		base := float64(top) + plotH
		for k, se := range series {
			v := 0.0
			if i < len(se.Values) {
				v = se.Values[i]
			}
			if v <= 0 || top5 <= 0 {
				continue
			}
			h := plotH * v / top5
			base -= h
			fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>`,
				num(x), num(base), num(colW), num(h), Palette[k%len(Palette)], esc(l), esc(se.Name), num(v))
		}
		if i%every == 0 {
			fmt.Fprintf(&s, `<text x="%s" y="%d" text-anchor="middle" font-size="11" fill="#555">%s</text>`,
				num(x+colW/2), height-bottom+16, esc(clip(l, 6)))
		}
	}
	x := left
	for k, se := range series {
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/>`, x, legendY-9, Palette[k%len(Palette)])
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" fill="#222">%s</text>`, x+14, legendY, esc(se.Name))
		x += 24 + 7*len([]rune(se.Name))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

func open(s *strings.Builder, title string, width, height int) {
	fmt.Fprintf(s, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif"><title>%s</title>`,
		width, height, esc(title), esc(title))
}

func empty(title string) template.HTML {
	var s strings.Builder
	open(&s, title, 640, 40)
	s.WriteString(`<text x="8" y="24" font-size="13" fill="#555">—</text></svg>`)
	return template.HTML(s.String())
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so the axis
// reads well; at least 1.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// num writes a number briefly: whole numbers without decimals, others with one.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
