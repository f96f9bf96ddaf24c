package server

import (
	"context"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// ObserveAudit wraps the dispatcher's Auditor so that the action and the
// error code of every API request reach the access log and the metrics.
// The dispatcher calls its Auditor exactly once per request, with the
// request's context and a record whose Action is set only for actions it
// knows and whose ErrorCode comes from its catalogue, so both are bounded
// sets, as metric labels must be. Wire it as
//
//	awsquery.Config{Auditor: server.ObserveAudit(auditor), ...}
func ObserveAudit(next awsquery.Auditor) awsquery.Auditor { return observer{next} }

type observer struct{ next awsquery.Auditor }

func (o observer) Audit(ctx context.Context, rec *awsquery.AuditRecord) error {
	if rec.Action != "" {
		SetAction(ctx, rec.Action)
	}
	if rec.ErrorCode != "" {
		SetErrorCode(ctx, rec.ErrorCode)
	}
	return o.next.Audit(ctx, rec)
}
