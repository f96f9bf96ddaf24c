package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	// Each bucket's range starts where the previous one ended, and
	// bucketOf maps both ends of a range back to it.
	next := uint64(0)
	for i := range numBuckets {
		low, width := bucketRange(i)
		if low != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, low, next)
		}
		if got := bucketOf(low); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", low, got, i)
		}
		if got := bucketOf(low + width - 1); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", low+width-1, got, i)
		}
		if width > 1 && float64(width)/float64(low) > 1.0/subBuckets+1e-12 {
			t.Fatalf("bucket %d: width %d is more than 1/%d of %d", i, width, subBuckets, low)
		}
		next = low + width
	}
	if next != 0 { // wrapped past MaxUint64
		t.Fatalf("buckets end at %d, want them to cover every uint64", next)
	}
	if got := bucketOf(math.MaxUint64); got != numBuckets-1 {
		t.Errorf("bucketOf(MaxUint64) = %d, want %d", got, numBuckets-1)
	}
}

func TestQuantile(t *testing.T) {
	// 1..10000 µs, one each: the q-quantile is q*10000 µs.
	h := NewHistogram()
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * time.Microsecond},
		{0.5, 5000 * time.Microsecond},
		{0.99, 9900 * time.Microsecond},
		{0.999, 9990 * time.Microsecond},
		{1, 10000 * time.Microsecond},
	}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if diff := math.Abs(float64(got-tt.want)) / float64(tt.want); diff > 0.005 {
			t.Errorf("Quantile(%v) = %v, want %v within 0.5%%", tt.q, got, tt.want)
		}
	}
	if got, want := h.Count(), uint64(10000); got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
	if got, want := h.Mean(), 5000500*time.Nanosecond; got != want {
		t.Errorf("Mean() = %v, want %v", got, want)
	}
	if got, want := h.Min(), time.Microsecond; got != want {
		t.Errorf("Min() = %v, want %v", got, want)
	}
	if got, want := h.Max(), 10*time.Millisecond; got != want {
		t.Errorf("Max() = %v, want %v", got, want)
	}
}

func TestQuantileSkewed(t *testing.T) {
	// 990 fast requests and 10 slow ones: p50 is fast, p99 still fast
	// (the 990th), p99.9 is slow.
	h := NewHistogram()
	for range 990 {
		h.Record(200 * time.Microsecond)
	}
	for range 10 {
		h.Record(30 * time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 200 * time.Microsecond},
		{0.99, 200 * time.Microsecond},
		{0.991, 30 * time.Millisecond},
		{0.999, 30 * time.Millisecond},
	}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if diff := math.Abs(float64(got-tt.want)) / float64(tt.want); diff > 0.005 {
			t.Errorf("Quantile(%v) = %v, want %v within 0.5%%", tt.q, got, tt.want)
		}
	}
}

func TestMerge(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for i := 1; i <= 50; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	for i := 51; i <= 100; i++ {
		b.Record(time.Duration(i) * time.Millisecond)
	}
	a.Merge(b)
	if got, want := a.Count(), uint64(100); got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
	if got, want := a.Min(), time.Millisecond; got != want {
		t.Errorf("Min() = %v, want %v", got, want)
	}
	if got, want := a.Max(), 100*time.Millisecond; got != want {
		t.Errorf("Max() = %v, want %v", got, want)
	}
	if got, want := a.Quantile(0.5), 50*time.Millisecond; math.Abs(float64(got-want)) > float64(want)/200 {
		t.Errorf("Quantile(0.5) = %v, want %v within 0.5%%", got, want)
	}
}

func TestEmptyHistogram(t *testing.T) {
	h := NewHistogram()
	for name, got := range map[string]time.Duration{"Quantile": h.Quantile(0.99), "Min": h.Min(), "Max": h.Max(), "Mean": h.Mean()} {
		if got != 0 {
			t.Errorf("%s() of an empty histogram = %v, want 0", name, got)
		}
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	d := 137 * time.Microsecond
	for b.Loop() {
		h.Record(d)
		d += 7
	}
}
