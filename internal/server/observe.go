package server

import (
	"context"

	"github.com/brevet-dev/brevet/internal/request"
)

// Observe is a request.Observer that hands the action and the error code
// of every API request to the access log and the metrics. The pipeline
// calls its observers exactly once per request, with the request's
// context and a record whose Action is set only for actions it knows and
// whose ErrorCode comes from a catalogue, so both are bounded sets, as
// metric labels must be. Wire it as
//
//	request.Pipeline{Observers: []request.Observer{request.ObserveFunc(server.Observe)}, ...}
func Observe(ctx context.Context, rec *request.Record) {
	if rec.Action != "" {
		SetAction(ctx, rec.Action)
	}
	if rec.ErrorCode != "" {
		SetErrorCode(ctx, rec.ErrorCode)
	}
}
