package store

import (
	"encoding/json"
	"fmt"

	"github.com/brevet-dev/brevet/internal/iam"
)

// EncodeTrustBindings is how both backends store a role's trust bindings
// in a text column: NULL (nil) for a role whose trust policy was never
// bound, JSON otherwise ("[]" for one bound to no one).
func EncodeTrustBindings(bs []iam.PrincipalBinding) *string {
	if bs == nil {
		return nil
	}
	s := "[]"
	if len(bs) > 0 {
		b, err := json.Marshal(bs)
		if err != nil {
			panic(err) // a slice of string pairs always marshals
		}
		s = string(b)
	}
	return &s
}

// DecodeTrustBindings reads what EncodeTrustBindings wrote.
func DecodeTrustBindings(s *string) ([]iam.PrincipalBinding, error) {
	if s == nil {
		return nil, nil
	}
	bs := []iam.PrincipalBinding{}
	if err := json.Unmarshal([]byte(*s), &bs); err != nil {
		return nil, fmt.Errorf("corrupt trust bindings: %w", err)
	}
	return bs, nil
}
