package node

import (
	"context"
	"net/http"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/server"
)

// newRESTJSON is the codec of the REST-JSON services (Roles Anywhere,
// IoT, SSO) and of the JSON 1.1 ones (Cognito Identity), on the same
// pipeline as the Query protocol's.
func (n *Node) newRESTJSON(p *request.Pipeline) (*restjson.Dispatcher, error) {
	return restjson.New(restjson.Config{Pipeline: p, MaxBodyBytes: n.cfg.MaxRequestBody, ErrorMappers: []restjson.ErrorMapper{restWireError}, Logger: n.log})
}

// withRESTJSON sends the requests rest routes (its methods and paths) to
// it, the other GET and POST requests to next (the Query protocol), and
// refuses the rest: the server lets PUT, PATCH and DELETE through for
// the REST-JSON services only, the Query protocol takes none of them.
func withRESTJSON(next http.Handler, rest *restjson.Dispatcher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case rest.Handles(r):
			rest.ServeHTTP(w, r)
		case r.Method == http.MethodGet || r.Method == http.MethodPost:
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		}
	})
}

// restServerOption has the server write its own errors (a body over the
// limit, an overload refusal, a panic) for the REST-JSON services'
// requests as they answer errors, not in the Query protocol's XML.
func (n *Node) restServerOption() []server.Option {
	return []server.Option{server.WithAPIErrorWriter(func(r *http.Request) server.ErrorWriter {
		if n.rest != nil && n.rest.Handles(r) {
			return func(w http.ResponseWriter, ctx context.Context, e *awsquery.Error) {
				writeRESTServerError(n.rest, w, r, e)
			}
		}
		return nil
	})}
}

// writeRESTServerError words one of the server's own errors as the
// REST-JSON services do (restCodes); a code they have no name for is
// InternalFailure, or ValidationException for a client error. A JSON 1.1
// service's request hears its service's own codes for the failures
// every service shares (Cognito Identity's InvalidParameterException,
// InternalErrorException, TooManyRequestsException), the ones its SDKs
// raise as modeled exceptions.
func writeRESTServerError(rest *restjson.Dispatcher, w http.ResponseWriter, r *http.Request, e *awsquery.Error) {
	code, ok := restCodes[e.Code.Name]
	errs, json11 := rest.ServiceErrors(r)
	switch {
	case json11 && e.Code.Name == "ServiceUnavailable":
		code = errs.Unavailable
	case json11 && e.Code.Name == "Throttling":
		code = errs.Throttling
	case json11 && e.Code.Name == "RequestEntityTooLarge":
		code = errs.Validation
	case ok:
	case e.Code.Status >= http.StatusInternalServerError:
		code = "InternalFailure"
		if json11 {
			code = errs.Internal
		}
	default:
		code = "ValidationException"
		if json11 {
			code = errs.Validation
		}
	}
	rest.WriteErrorFor(w, r, &restjson.Error{Code: code, Status: e.Code.Status, Message: e.Message, RetryAfter: e.RetryAfter})
}

// restCodes are the REST-JSON names of the Query protocol's
// authentication and availability codes, as AWS's REST-JSON services
// answer them (x-amzn-ErrorType).
var restCodes = map[string]string{
	"SignatureDoesNotMatch":      "InvalidSignatureException",
	"IncompleteSignature":        "IncompleteSignatureException",
	"InvalidClientTokenId":       "UnrecognizedClientException",
	"ExpiredToken":               "ExpiredTokenException",
	"MissingAuthenticationToken": "MissingAuthenticationTokenException",
	"AccessDenied":               "AccessDeniedException",
	"ServiceUnavailable":         "ServiceUnavailableException",
	"Throttling":                 "ThrottlingException",
	"RequestEntityTooLarge":      "ValidationException",
}

// restWireError words the pipeline's shared failures (authentication, the
// store down) as the REST-JSON services do; nil for errors the Query
// protocol does not know either.
func restWireError(err error) *restjson.Error {
	wire, unmapped := awsquery.ToWire(err, storeError)
	if unmapped {
		return nil
	}
	code, ok := restCodes[wire.Code.Name]
	if !ok {
		return nil // a Query-only code: the service's own mappers know better
	}
	return &restjson.Error{Code: code, Status: wire.Code.Status, Message: wire.Message, Cause: err, RetryAfter: wire.RetryAfter}
}
