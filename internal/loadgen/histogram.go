package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets, like HdrHistogram:
// each power of two is split into subBuckets linear buckets, so every
// recorded value is known to within 1/subBuckets (under 0.8%) whatever its
// magnitude, from a nanosecond to years, in a fixed 58 KiB array. Record
// is a few instructions and never allocates, so a worker can record every
// request; workers keep their own Histogram and Merge them at the end.
//
// The zero value is not usable; call NewHistogram.
type Histogram struct {
	counts []uint64
	total  uint64
	sum    uint64 // nanoseconds; wraps only after 584 years of latency
	min    uint64
	max    uint64
}

const (
	subBits    = 7
	subBuckets = 1 << subBits // linear buckets per power of two
	// numBuckets covers every uint64: values below 2*subBuckets have a
	// bucket each; above, the shift goes up to 64-subBits-1.
	numBuckets = (64-subBits-1)*subBuckets + 2*subBuckets
)

// NewHistogram returns an empty Histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, numBuckets), min: math.MaxUint64}
}

// bucketOf returns the bucket of v. Below 2*subBuckets the bucket is v
// itself; above, v is shifted right until it has subBits+1 significant
// bits m (so m is in [subBuckets, 2*subBuckets)) and the bucket is
// shift*subBuckets + m, which continues the first range without gaps.
func bucketOf(v uint64) int {
	if v < 2*subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return shift*subBuckets + int(v>>shift)
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (low, width uint64) {
	if i < 2*subBuckets {
		return uint64(i), 1
	}
	shift := i/subBuckets - 1
	m := uint64(i - shift*subBuckets)
	return m << shift, 1 << shift
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	h.total++
	h.sum += v
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds every observation of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest observation, exactly (0 when empty).
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest observation, exactly (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Mean is the average observation, exactly (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}

// Quantile returns the q-quantile (q in [0, 1]; 0.99 for p99): the value
// that at least q of the observations do not exceed, by the nearest-rank
// method. It is the middle of that observation's bucket, clamped to the
// exact minimum and maximum, so it is within half a bucket (0.4%) of the
// true value. An empty Histogram returns 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, width := bucketRange(i)
			v := low + (width-1)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max) // not reached: the counts sum to total
}
