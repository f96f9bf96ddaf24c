package server

import (
	"io"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf8"
)

// WithJSONAccessLog writes the access log's lines straight to w as JSON,
// byte for byte as slog.NewJSONHandler(w, nil) would write them, instead
// of through the logger: the access log is the one line every request
// writes, and slog's general path (a json.Marshal for the duration, a
// record of attributes, the handler's state) costs several microseconds
// a line. Use it only when the logger given to WithLogger is a JSON
// handler on the same w with no attributes or groups of its own; the
// logger still decides the level (Enabled), and w must keep each Write
// whole (an *os.File, or a logbuf.Writer).
func WithJSONAccessLog(w io.Writer) Option { return func(s *Server) { s.accessJSON = w } }

// accessLine is what one access-log line says.
type accessLine struct {
	time                  time.Time
	level                 slog.Level
	method, path          string
	status                int
	duration              time.Duration
	remoteAddr, userAgent string
	bytesIn, bytesOut     int64
	action, errorCode     string
	aborted               bool
	requestID             string
}

// attrs is the line as slog attributes, in the order both forms write
// them, but for request_id: the logger adds that one, last, from the
// request's context (NewLogHandler).
func (l *accessLine) attrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("method", l.method),
		slog.String("path", l.path),
		slog.Int("status", l.status),
		slog.Float64("duration_ms", durationMillis(l.duration)),
		slog.String("remote_addr", l.remoteAddr),
		slog.String("user_agent", l.userAgent),
		slog.Int64("bytes_in", l.bytesIn),
		slog.Int64("bytes_out", l.bytesOut),
	)
	if l.action != "" {
		attrs = append(attrs, slog.String("action", l.action))
	}
	if l.errorCode != "" {
		attrs = append(attrs, slog.String("error_code", l.errorCode))
	}
	if l.aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	return attrs
}

// durationMillis is d in milliseconds, to the microsecond.
func durationMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// appendJSON appends the line as slog's JSON handler writes the record
// with attrs() and request_id, newline included.
func (l *accessLine) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = l.time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":`...)
	b = appendLogString(b, l.level.String())
	b = append(b, `,"msg":"request","method":`...)
	b = appendLogString(b, l.method)
	b = append(b, `,"path":`...)
	b = appendLogString(b, l.path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(l.status), 10)
	b = append(b, `,"duration_ms":`...)
	// slog writes floats with json.Marshal: for a whole number of
	// microseconds, in milliseconds (never below 1e-6 nor from 1e21),
	// that is strconv's shortest 'f' form.
	b = strconv.AppendFloat(b, durationMillis(l.duration), 'f', -1, 64)
	b = append(b, `,"remote_addr":`...)
	b = appendLogString(b, l.remoteAddr)
	b = append(b, `,"user_agent":`...)
	b = appendLogString(b, l.userAgent)
	b = append(b, `,"bytes_in":`...)
	b = strconv.AppendInt(b, l.bytesIn, 10)
	b = append(b, `,"bytes_out":`...)
	b = strconv.AppendInt(b, l.bytesOut, 10)
	if l.action != "" {
		b = append(b, `,"action":`...)
		b = appendLogString(b, l.action)
	}
	if l.errorCode != "" {
		b = append(b, `,"error_code":`...)
		b = appendLogString(b, l.errorCode)
	}
	if l.aborted {
		b = append(b, `,"aborted":true`...)
	}
	b = append(b, `,"request_id":`...)
	b = appendLogString(b, l.requestID)
	return append(b, "}\n"...)
}

// appendLogString appends s quoted as slog's JSON handler quotes strings:
// JSON escapes for the quote, the backslash and control characters, no
// HTML escaping, U+FFFD for invalid UTF-8, and U+2028 and U+2029 escaped.
func appendLogString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
