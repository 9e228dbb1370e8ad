package main

import (
	"fmt"
	"math"
	"strings"
)

// growthSlack is how far above linear (exponent 1) a figure may grow before
// it is called superlinear: the machine is shared, and small figures are
// noisy.
const growthSlack = 0.2

// Growth statuses.
const (
	growthLinear      = "no faster than linear"
	growthSuperlinear = "SUPERLINEAR"
	growthUnknown     = "unknown"
)

// growth says how one figure of section 4 grows with the store's size. The
// figure's cost at a size is the figure itself (a time, a memory size) or,
// for a rate, the time to create that many objects at that rate (size/rate).
// Growing no faster than linearly means the cost per object does not grow:
// the cost's exponent ln(cost ratio)/ln(size ratio) is at most 1 (0 for a
// cost that does not grow at all).
type growth struct {
	// Figure names the figure and Unit its unit.
	Figure string `json:"figure"`
	Unit   string `json:"unit"`
	// Rate says the figure is objects per second.
	Rate bool `json:"rate,omitempty"`
	// Sizes and Values are the figure at each size; 0 means not measured.
	Sizes  []int     `json:"sizes"`
	Values []float64 `json:"values"`
	// PerObjectRatio is the cost per object at the largest size over the
	// cost per object at the smallest.
	PerObjectRatio float64 `json:"perObjectRatio"`
	// Exponent is the cost's exponent between the smallest and the largest
	// size.
	Exponent float64 `json:"exponent"`
	// Superlinear names the consecutive sizes between which the exponent
	// exceeds 1+growthSlack, e.g. "10,000->50,000 (1.43)", when more than
	// two sizes were measured (with two, Status says it).
	Superlinear []string `json:"superlinear,omitempty"`
	// Status is growthLinear, growthSuperlinear or growthUnknown.
	Status string `json:"status"`
}

// newGrowth judges a figure measured at sizes (ascending); rate says it is
// objects per second.
func newGrowth(figure, unit string, rate bool, sizes []int, values []float64) growth {
	g := growth{Figure: figure, Unit: unit, Rate: rate, Sizes: sizes, Values: values, Status: growthUnknown}
	cost := func(i int) float64 {
		if rate {
			return ratio(float64(sizes[i]), values[i])
		}
		return max(values[i], 0)
	}
	var measured []int
	for i := range sizes {
		if i < len(values) && cost(i) > 0 && sizes[i] > 0 {
			measured = append(measured, i)
		}
	}
	if len(measured) < 2 {
		return g
	}
	first, last := measured[0], measured[len(measured)-1]
	if sizes[last] <= sizes[first] {
		return g
	}
	g.Exponent = exponent(sizes[first], sizes[last], cost(first), cost(last))
	g.PerObjectRatio = (cost(last) / float64(sizes[last])) / (cost(first) / float64(sizes[first]))
	for k := 1; k < len(measured) && len(measured) > 2; k++ {
		a, b := measured[k-1], measured[k]
		if e := exponent(sizes[a], sizes[b], cost(a), cost(b)); e > 1+growthSlack {
			g.Superlinear = append(g.Superlinear, fmt.Sprintf("%s->%s (%.2f)", count(sizes[a]), count(sizes[b]), e))
		}
	}
	g.Status = growthLinear
	if g.Exponent > 1+growthSlack {
		g.Status = growthSuperlinear
	}
	return g
}

// exponent is ln(c2/c1)/ln(n2/n1): how a cost grows from size n1 to n2.
func exponent(n1, n2 int, c1, c2 float64) float64 {
	return math.Log(c2/c1) / math.Log(float64(n2)/float64(n1))
}

// verdictText is the growth's verdict for the printed table, with the
// superlinear steps.
func (g growth) verdictText() string {
	switch {
	case g.Status == growthUnknown:
		return growthUnknown
	case len(g.Superlinear) == 0:
		return g.Status
	}
	return fmt.Sprintf("%s; superlinear between %s", g.Status, strings.Join(g.Superlinear, ", "))
}
