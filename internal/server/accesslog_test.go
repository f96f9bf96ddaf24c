package server

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// slogLine is the line slog's JSON handler writes for l.
func slogLine(t testing.TB, l *accessLine) string {
	var buf bytes.Buffer
	rec := slog.NewRecord(l.time, l.level, "request", 0)
	rec.AddAttrs(l.attrs()...)
	rec.AddAttrs(slog.String("request_id", l.requestID)) // as NewLogHandler adds it
	if err := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestJSONAccessLogIsSlogsLine(t *testing.T) {
	base := accessLine{
		time: time.Date(2026, 12, 4, 0, 33, 35, 470902969, time.UTC), level: slog.LevelInfo,
		method: "POST", path: "/", status: 200, duration: 1234567 * time.Nanosecond,
		remoteAddr: "127.0.0.1:53160", userAgent: "aws-cli/2.15.0 Python/3.11", bytesIn: 127, bytesOut: 273,
		action: "AssumeRole", requestID: "c7b8f09e-2681-4439-9419-fbf0cc224794",
	}
	tests := []struct {
		name string
		mod  func(*accessLine)
	}{
		{"api request", func(*accessLine) {}},
		{"error", func(l *accessLine) { l.status, l.errorCode = 403, "AccessDenied" }},
		{"probe at debug", func(l *accessLine) { l.level, l.path, l.action = slog.LevelDebug, "/healthz", "" }},
		{"aborted", func(l *accessLine) { l.status, l.aborted, l.level = 500, true, slog.LevelError }},
		{"whole milliseconds", func(l *accessLine) { l.duration = 3 * time.Millisecond }},
		{"zero duration", func(l *accessLine) { l.duration = 0 }},
		{"long duration", func(l *accessLine) { l.duration = 29991824 * time.Microsecond }},
		{"hours", func(l *accessLine) { l.duration = 100 * time.Hour }},
		{"no body length", func(l *accessLine) { l.bytesIn = -1 }},
		{"time with trailing zeros", func(l *accessLine) { l.time = time.Date(2026, 1, 2, 3, 4, 5, 100000000, time.UTC) }},
		{"time in another zone", func(l *accessLine) { l.time = l.time.In(time.FixedZone("X", 5*3600+1800)) }},
		{"quotes and escapes", func(l *accessLine) { l.userAgent = "a \"b\" \\ c\n\r\t\x00\x1f\x7f" }},
		{"html is not escaped", func(l *accessLine) { l.path = "/<script>&amp;" }},
		{"line separators", func(l *accessLine) { l.userAgent = "x\u2028y\u2029z" }},
		{"invalid utf-8", func(l *accessLine) { l.path = "/\xff\xfe\xc3(ok" }},
		{"multibyte", func(l *accessLine) { l.userAgent = "Grüße 日本 🙂" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := base
			tt.mod(&l)
			if got, want := string(l.appendJSON(nil)), slogLine(t, &l); got != want {
				t.Errorf("line:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzJSONAccessLog(f *testing.F) {
	f.Add("POST", "/", "aws-cli/2", "AssumeRole", "", int64(1234567), int64(127), 200)
	f.Add("GET", "/\xff\u2028<>", "\x00\"\\", "", "AccessDenied", int64(0), int64(-1), 403)
	f.Fuzz(func(t *testing.T, method, path, ua, action, code string, d, in int64, status int) {
		l := accessLine{
			time: time.Unix(1764800000, d%1e9).UTC(), level: slog.LevelInfo, method: method, path: path,
			status: status, duration: time.Duration(d), remoteAddr: "[::1]:1", userAgent: ua, bytesIn: in,
			bytesOut: d, action: action, errorCode: code, aborted: d%2 == 0, requestID: path + ua,
		}
		if got, want := string(l.appendJSON(nil)), slogLine(t, &l); got != want {
			t.Errorf("line:\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkAccessLog is the access log's cost per request, both ways.
func BenchmarkAccessLog(b *testing.B) {
	l := accessLine{
		time: time.Now(), level: slog.LevelInfo, method: "POST", path: "/", status: 200, duration: 1234567,
		remoteAddr: "127.0.0.1:53160", userAgent: "Go-http-client/1.1", bytesIn: 127, bytesOut: 1481,
		action: "AssumeRole", requestID: "c7b8f09e-2681-4439-9419-fbf0cc224794",
	}
	b.Run("json", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = l.appendJSON(buf[:0])
		}
	})
	b.Run("slog", func(b *testing.B) {
		h := slog.NewJSONHandler(discard{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			rec := slog.NewRecord(l.time, l.level, "request", 0)
			rec.AddAttrs(l.attrs()...)
			rec.AddAttrs(slog.String("request_id", l.requestID))
			_ = h.Handle(context.Background(), rec)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
