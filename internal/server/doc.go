// Package server is Brevet's HTTP edge: it builds the http.Server, routes
// requests and wraps them in the middleware every request goes through.
//
// It owns, per request: the request id (an AWS-style UUID, in the context
// and the x-amzn-RequestId header), the body limit, panic recovery (a panic
// becomes a 500 InternalFailure and the process keeps serving), the access
// log and the Prometheus metrics. It serves /healthz (the process is up),
// /readyz (every registered ReadyCheck passes) and /metrics, and mounts the
// AWS API handler (the awsquery Dispatcher, given by the caller) at "/".
// /metrics may require a bearer token (Config.MetricsToken) and may move to
// a listener of its own (Config.SeparateMetrics, RunMetrics).
// It listens on plain HTTP or HTTPS (TLS 1.3, and TLS 1.2 with AEAD cipher
// suites only) and shuts down gracefully when the context given to Run is
// cancelled. The certificate sits behind an atomic pointer that every
// handshake reads: ReloadTLS (SIGHUP) and WatchTLS (the files' directory)
// replace it, keeping the old one when the new files do not load; client
// certificates may be asked for (Config.TLSClientAuth). It answers CORS
// preflights and adds CORS headers for the browser origins the caller
// allows (Config.CORSAllowedOrigins; none by default).
//
// It must not know AWS actions or wire codes: the two errors it writes
// itself (a body over the limit, a panic) use awsquery's catalogue and
// envelope, and the action and error code it logs and counts are told to
// it through SetAction and SetErrorCode, which Observe calls as one of
// the request pipeline's observers. The request id goes into the context
// under the request package's key, so every codec uses the same id. It never
// logs a secret: no header values other than the user agent, and the path
// but never the query string (presigned requests carry signatures and
// session tokens there).
package server
