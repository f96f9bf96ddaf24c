package awsquery

import "time"

// Value is a decoded (or to-be-encoded) value of some Shape. Which fields
// are meaningful depends on the shape's Kind:
//
//	string          Str
//	boolean         Bool
//	integer, long   Int
//	float, double   Float
//	timestamp       Time
//	blob            Bytes
//	structure       Elems: one per member, in member order (unset members have Set false)
//	list            Elems: the elements in order
//	map             Elems: one per entry, each with Elems [key, value]
//
// Generated code converts between Values and the typed Go structs of each
// action, so the decoder, validator and encoder are written once, driven by
// shapes, and tested against the public conformance cases.
type Value struct {
	Set  bool
	Bool bool
	// idx is the wire index (.member.N / .entry.N) while decoding. It
	// sits beside the booleans, in what would otherwise be padding, to
	// keep Values small: every request allocates a few dozen of them.
	// parseIndex accepts at most nine digits, so it fits.
	idx int32

	Str   string
	Int   int64
	Float float64
	Time  time.Time
	Bytes []byte
	Elems []Value
}

// String returns a set string Value.
func String(s string) Value { return Value{Set: true, Str: s} }

// Bool returns a set boolean Value.
func Bool(b bool) Value { return Value{Set: true, Bool: b} }

// Int returns a set integer Value.
func Int(n int64) Value { return Value{Set: true, Int: n} }

// Float returns a set floating-point Value.
func Float(f float64) Value { return Value{Set: true, Float: f} }

// Time returns a set timestamp Value.
func Time(t time.Time) Value { return Value{Set: true, Time: t} }

// Bytes returns a set blob Value.
func Bytes(b []byte) Value { return Value{Set: true, Bytes: b} }

// Struct returns a set structure Value with the given member values.
func Struct(members []Value) Value { return Value{Set: true, Elems: members} }

// List returns a set list Value.
func List(elems []Value) Value { return Value{Set: true, Elems: elems} }

// Entry returns a map entry (for a map Value's Elems).
func Entry(key string, v Value) Value {
	return Value{Set: true, Elems: []Value{String(key), v}}
}
