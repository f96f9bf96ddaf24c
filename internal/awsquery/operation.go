package awsquery

// OperationInfo describes one action of a service: its shapes and how its
// result is wrapped. Generated per action in stsapi and iamapi.
type OperationInfo struct {
	Service *Service
	// Name is the Action parameter value ("AssumeRole").
	Name string
	// Input and Output are structure shapes; nil means the action takes no
	// parameters or returns no result element.
	Input, Output *Shape
	// ResultWrapper is the element that holds the output ("AssumeRoleResult").
	ResultWrapper string
	// Unsigned actions may be called without a signature (the model's
	// noAuth: AssumeRoleWithWebIdentity, AssumeRoleWithSAML). The
	// Authenticator still sees them and decides.
	Unsigned bool
}

// Operation is an OperationInfo bound to the Go types of its input and
// output, with the generated conversions between those types and Values.
type Operation[In, Out any] struct {
	OperationInfo
	// DecodeInput converts a decoded, validated input Value to In.
	DecodeInput func(*Value) *In
	// EncodeOutput converts an output to a Value of the Output shape.
	EncodeOutput func(*Out) Value
}

// Info returns the untyped description of the operation.
func (o *Operation[In, Out]) Info() *OperationInfo { return &o.OperationInfo }

// Empty is the input or output type of an action that has none.
type Empty struct{}

// emptyStructure stands in for a missing input shape: it accepts no
// parameters.
var emptyStructure = &Shape{Name: "Empty", Kind: KindStructure}
