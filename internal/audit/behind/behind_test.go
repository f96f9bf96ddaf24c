package behind_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit/behind"
)

var errClosed = errors.New("test: closed")

func TestAddDropsWhenFullAndKeepsTheLatestPosition(t *testing.T) {
	q := behind.New[int](2, errClosed)
	for i, pos := range []uint64{5, 9, 7} {
		q.Add(i, pos)
	}
	q.Advance(3)
	if got := q.Latest(); got != 9 {
		t.Errorf("Latest = %d, want 9", got)
	}
	if !q.TakeDropped() {
		t.Error("the third batch was not flagged dropped")
	}
	if q.Dropped() {
		t.Error("TakeDropped did not clear the flag")
	}
	if got := q.Drain(nil, 0); len(got) != 2 || got[0].Position != 5 || got[1].Batch != 1 {
		t.Errorf("Drain = %+v, want the first two batches", got)
	}
}

func TestFlushIsAnsweredByTheWriterAndRefusedAfterClose(t *testing.T) {
	// Unbuffered, so that a Flush after Close cannot be queued instead.
	q := behind.New[int](0, errClosed)
	errWrite := errors.New("write failed")
	q.Start(func() {
		for {
			select {
			case it := <-q.Items():
				behind.Answer(q.Drain([]behind.Item[int]{it}, 0), errWrite)
			case <-q.Quit():
				return
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Flush(ctx); !errors.Is(err, errWrite) {
		t.Errorf("Flush = %v, want the write's error", err)
	}
	q.Close()
	q.Close()
	if err := q.Flush(ctx); !errors.Is(err, errClosed) {
		t.Errorf("Flush after Close = %v, want %v", err, errClosed)
	}
}
