package assign

import (
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// InvalidError is a request the assignment rules refuse.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return "assign: " + e.Message }

func invalid(msg string) error { return &InvalidError{Message: msg} }

// NotFoundError: the role, user, group or assignment named does not
// exist.
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return "assign: " + e.Message }

// ExistsError: the assignment exists already.
type ExistsError struct{ Message string }

func (e *ExistsError) Error() string { return "assign: " + e.Message }

// WireError maps this package's errors to Query wire errors; nil for
// others.
func WireError(err error) *awsquery.Error {
	if e, ok := errors.AsType[*InvalidError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*NotFoundError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: e.Message, Cause: err}
	}
	if e, ok := errors.AsType[*ExistsError](err); ok {
		return &awsquery.Error{Code: awsquery.CodeEntityAlreadyExists, Message: e.Message, Cause: err}
	}
	return nil
}
