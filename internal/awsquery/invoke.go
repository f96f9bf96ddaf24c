package awsquery

import (
	"fmt"
	"net/http"
)

// Invoke runs one Query request for an in-process client (the console,
// internal/console) exactly as ServeHTTP runs one from the network: r is
// a complete Query request (its Action, Version and parameters in the
// query string or form body, signed with the caller's credentials), taken
// through the same pipeline (authenticated, authorized, committed,
// audited). Instead of writing XML it returns the action's typed output,
// or the wire error a client would have received, and the request id.
//
// op must be the operation r names; a request that names another action
// is refused with InvalidAction after it was audited as what it was.
func Invoke[In, Out any](d *Dispatcher, r *http.Request, op *Operation[In, Out]) (*Out, string, *Error) {
	x, wire := d.serve(r)
	if wire != nil {
		return nil, x.ID, wire
	}
	out, ok := x.result.(*Out)
	if !ok || x.op != &op.OperationInfo {
		return nil, x.ID, CodeInvalidAction.New(fmt.Sprintf("The request is not a %s request.", op.Name))
	}
	return out, x.ID, nil
}
