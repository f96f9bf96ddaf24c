package restjson

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
)

// binder sets an input's path, query and header members, found once per
// input type by their struct tags.
type binder struct {
	fields []boundField
}

type boundField struct {
	index    int
	location string // "path", "query" or "header"
	name     string
	kind     reflect.Kind // of the field, or of what it points to
	ptr      bool
}

func newBinder[In any]() (*binder, error) {
	t := reflect.TypeFor[In]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("input %s is not a struct", t)
	}
	b := &binder{}
	for i := range t.NumField() {
		f := t.Field(i)
		for _, loc := range []string{"path", "query", "header"} {
			name, ok := f.Tag.Lookup(loc)
			if !ok {
				continue
			}
			bf := boundField{index: i, location: loc, name: name, kind: f.Type.Kind()}
			if bf.kind == reflect.Pointer {
				bf.ptr, bf.kind = true, f.Type.Elem().Kind()
			}
			switch bf.kind {
			case reflect.String, reflect.Int32, reflect.Int, reflect.Bool:
			default:
				return nil, fmt.Errorf("input %s: field %s: %s members must be strings, ints or bools", t, f.Name, loc)
			}
			if loc == "path" && (bf.ptr || bf.kind != reflect.String) {
				return nil, fmt.Errorf("input %s: field %s: path members must be strings", t, f.Name)
			}
			b.fields = append(b.fields, bf)
		}
	}
	return b, nil
}

// bind sets in's bound members from r; it returns a validation message
// for a value of the wrong type, "" when all is well.
func (b *binder) bind(in any, r *http.Request) string {
	v := reflect.ValueOf(in).Elem()
	var q map[string][]string
	for _, f := range b.fields {
		var s string
		var present bool
		switch f.location {
		case "path":
			s = r.PathValue(f.name)
			present = true
		case "query":
			if q == nil {
				q = r.URL.Query()
			}
			vs, ok := q[f.name]
			if ok && len(vs) > 1 {
				return "The query parameter " + f.name + " is given more than once."
			}
			if ok {
				s, present = vs[0], true
			}
		case "header":
			vs := r.Header.Values(f.name)
			if len(vs) > 1 {
				return "The header " + f.name + " is given more than once."
			}
			if len(vs) == 1 {
				s, present = vs[0], true
			}
		}
		if !present {
			continue
		}
		val, msg := parseValue(f, s)
		if msg != "" {
			return msg
		}
		fv := v.Field(f.index)
		if f.ptr {
			p := reflect.New(fv.Type().Elem())
			p.Elem().Set(val)
			fv.Set(p)
		} else {
			fv.Set(val)
		}
	}
	return ""
}

func parseValue(f boundField, s string) (reflect.Value, string) {
	switch f.kind {
	case reflect.Int32, reflect.Int:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return reflect.Value{}, "Value '" + s + "' at '" + f.name + "' failed to satisfy constraint: Member must be a number."
		}
		if f.kind == reflect.Int32 {
			return reflect.ValueOf(int32(n)), ""
		}
		return reflect.ValueOf(int(n)), ""
	case reflect.Bool:
		bv, err := strconv.ParseBool(s)
		if err != nil {
			return reflect.Value{}, "Value '" + s + "' at '" + f.name + "' failed to satisfy constraint: Member must be a boolean."
		}
		return reflect.ValueOf(bv), ""
	}
	return reflect.ValueOf(s), ""
}

// params renders in for the audit record: its JSON members, then its
// bound members under their wire names.
func (b *binder) params(in any) map[string]any {
	m := asMap(in)
	v := reflect.ValueOf(in).Elem()
	for _, f := range b.fields {
		fv := v.Field(f.index)
		if f.ptr {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		} else if fv.IsZero() {
			continue
		}
		if m == nil {
			m = map[string]any{}
		}
		m[f.name] = fv.Interface()
	}
	return m
}
