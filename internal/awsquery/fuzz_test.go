package awsquery_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
)

// kitchenSink is a hand-made shape with every kind and wire form the STS
// and IAM inputs do not use (maps, flattened lists, timestamps, blobs).
var kitchenSink = func() *awsquery.Shape {
	str := &awsquery.Shape{Name: "S", Kind: awsquery.KindString, HasMax: true, Max: 8}
	list := &awsquery.Shape{Name: "L", Kind: awsquery.KindList, Member: &awsquery.Ref{Shape: str}}
	inner := &awsquery.Shape{Name: "I", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "A", Ref: awsquery.Ref{Shape: str}, Required: true},
		{Name: "B", Ref: awsquery.Ref{Shape: list}},
	}}
	return &awsquery.Shape{Name: "K", Kind: awsquery.KindStructure, Members: []awsquery.Member{
		{Name: "Str", Ref: awsquery.Ref{Shape: str}},
		{Name: "Bool", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindBoolean}}},
		{Name: "Int", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindInteger, HasMin: true, Min: 1}}},
		{Name: "Float", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindDouble}}},
		{Name: "Time", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindTimestamp}}},
		{Name: "Blob", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindBlob}}},
		{Name: "List", Ref: awsquery.Ref{Shape: list}},
		{Name: "Flat", Ref: awsquery.Ref{Shape: list, Flattened: true, LocationName: "F"}},
		{Name: "Map", Ref: awsquery.Ref{Shape: &awsquery.Shape{Kind: awsquery.KindMap, Key: &awsquery.Ref{Shape: str}, Value: &awsquery.Ref{Shape: inner}}}},
		{Name: "Nested", Ref: awsquery.Ref{Shape: inner}},
	}}
}()

var kitchenSinkOp = &awsquery.OperationInfo{Service: stsapi.Service, Name: "KitchenSink", Input: kitchenSink, Output: kitchenSink}

// FuzzDecode feeds arbitrary form bodies to the decoder for several input
// shapes. Whatever the input: no panic, every error is a wire error, and a
// decoded value converts to its typed input and encodes to well-formed XML.
func FuzzDecode(f *testing.F) {
	f.Add(assumeRoleBody())
	f.Fuzz(func(t *testing.T, body string) {
		params, err := awsquery.ParseForm(nil, body)
		if err != nil {
			mustBeWire(t, err)
			return
		}
		check(t, params, kitchenSinkOp, nil)
		check(t, params, stsapi.AssumeRole.Info(), func(v *awsquery.Value) { stsapi.AssumeRole.DecodeInput(v) })
		check(t, params, iamapi.CreateRole.Info(), func(v *awsquery.Value) { iamapi.CreateRole.DecodeInput(v) })
		check(t, params, iamapi.SimulateCustomPolicy.Info(), func(v *awsquery.Value) { iamapi.SimulateCustomPolicy.DecodeInput(v) })
	})
}

func check(t *testing.T, params []awsquery.Param, op *awsquery.OperationInfo, typed func(*awsquery.Value)) {
	v, err := awsquery.Decode(op.Input, params)
	if err != nil {
		mustBeWire(t, err)
		return
	}
	if err := awsquery.Validate(op.Input, &v); err != nil {
		mustBeWire(t, err)
	}
	if typed != nil {
		typed(&v)
	}
	// The input shape doubles as an output shape: whatever was decoded
	// must encode to XML that parses.
	out := awsquery.AppendResponse(nil, &awsquery.OperationInfo{Service: op.Service, Name: "X", Output: op.Input}, &v, "id")
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("encoded XML does not parse: %v\n%s", err, out)
		}
	}
}

func mustBeWire(t *testing.T, err error) {
	t.Helper()
	var we *awsquery.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not a wire error", err)
	}
	if we.Code.Status >= 500 {
		t.Fatalf("decoding error %v is a server fault", err)
	}
}
