package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recordingLog is an Appender that keeps what it was given and what the
// handler's InFlight said meanwhile, and fails when err is set.
type recordingLog struct {
	mu       sync.Mutex
	d        *DurableTrivial
	got      []string
	inFlight []int
	err      error
}

func (l *recordingLog) Append(_ context.Context, rec []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(rec))
	l.inFlight = append(l.inFlight, l.d.InFlight())
	return uint64(len(l.got)), l.err
}

func TestDurableTrivial(t *testing.T) {
	recs := DurableRecords{AssumeRole: []byte(`{"ar":1}`), Other: []byte(`{"other":1}`)}
	tests := []struct {
		name       string
		body       string
		logErr     error
		wantRecord string
		wantStatus int
		wantBody   string
	}{
		{"AssumeRole", "Action=AssumeRole&Version=2011-06-15&RoleArn=x", nil, `{"ar":1}`, 200, trivialAssumeRole},
		{"GetCallerIdentity", "Action=GetCallerIdentity&Version=2011-06-15", nil, `{"other":1}`, 200, trivialGetCallerIdentity},
		{"log fails", "Action=AssumeRole&Version=2011-06-15", errors.New("disk full"), `{"ar":1}`, 503, durableUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDurableTrivial(recs)
			log := &recordingLog{d: d, err: tt.logErr}
			d.Log = log
			w := httptest.NewRecorder()
			d.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body)))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("response = %d %q, want %d %q", w.Code, w.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if len(log.got) != 1 || log.got[0] != tt.wantRecord {
				t.Errorf("appended %q, want one %q", log.got, tt.wantRecord)
			}
			if len(log.inFlight) != 1 || log.inFlight[0] != 1 {
				t.Errorf("InFlight during Append = %v, want [1]", log.inFlight)
			}
			if got := d.InFlight(); got != 0 {
				t.Errorf("InFlight after the request = %d, want 0", got)
			}
		})
	}
}

// TestDurableTrivialAnswersAsTrivial checks that both references send
// the generator the same bytes.
func TestDurableTrivialAnswersAsTrivial(t *testing.T) {
	d := NewDurableTrivial(DurableRecords{AssumeRole: []byte(`{}`), Other: []byte(`{}`)})
	d.Log = &recordingLog{d: d}
	for _, body := range []string{"Action=AssumeRole&Version=2011-06-15", "Action=GetCallerIdentity&Version=2011-06-15"} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		TrivialHandler().ServeHTTP(want, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		d.ServeHTTP(got, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)))
		if got.Code != want.Code || got.Body.String() != want.Body.String() ||
			got.Header().Get("Content-Length") != want.Header().Get("Content-Length") {
			t.Errorf("%s: durable answered %d (%s bytes), trivial %d (%s bytes)", body,
				got.Code, got.Header().Get("Content-Length"), want.Code, want.Header().Get("Content-Length"))
		}
	}
}
