package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

type gen struct {
	m    *model
	buf  bytes.Buffer
	used map[string]bool // shapes reachable from operations
	fn   map[string]string
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.buf, format+"\n", args...) }

func genService(botocore string, m *model, pkg string) ([]byte, error) {
	g := &gen{m: m, used: map[string]bool{}, fn: map[string]string{}}
	ops := mapsKeys(m.Operations)
	for _, name := range ops {
		op := m.Operations[name]
		for _, r := range []*ref{op.Input, op.Output} {
			if r != nil {
				if err := g.mark(r.Shape, nil); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := g.checkNames(); err != nil {
		return nil, err
	}
	g.p("// Service is the %s API, version %s.", m.Metadata.EndpointPrefix, m.Metadata.APIVersion)
	g.p("var Service = &awsquery.Service{Name: %q, Version: %q, Namespace: %q}", m.Metadata.EndpointPrefix, m.Metadata.APIVersion, m.Metadata.XMLNamespace)
	g.p("")
	g.genOperations(ops)
	names := mapsKeys(g.used)
	if err := g.genEnums(names); err != nil {
		return nil, err
	}
	g.p("// The shape table.")
	g.p("var (")
	for _, n := range names {
		g.genShape(n)
	}
	g.p(")")
	g.p("")
	for _, n := range names {
		s := m.Shapes[n]
		switch s.Type {
		case "structure":
			g.genStruct(n, s)
		case "list":
			g.genList(n, s)
		case "map":
			g.genMap(n, s)
		}
	}
	body := g.buf.String()
	var h bytes.Buffer
	h.WriteString(header(botocore, m))
	fmt.Fprintf(&h, "\npackage %s\n\nimport (\n", pkg)
	if strings.Contains(body, "maps.Keys") {
		h.WriteString("\"maps\"\n\"slices\"\n")
	}
	if strings.Contains(body, "time.Time") {
		h.WriteString("\"time\"\n")
	}
	h.WriteString("\n\"github.com/brevet-dev/brevet/internal/awsquery\"\n)\n\n")
	h.WriteString(body)
	return h.Bytes(), nil
}

// mark records the shapes reachable from name and rejects recursive shapes
// (package-level variables cannot refer to themselves).
func (g *gen) mark(name string, path []string) error {
	if slices.Contains(path, name) {
		return fmt.Errorf("recursive shape %s (via %v): not supported", name, path)
	}
	s, ok := g.m.Shapes[name]
	if !ok {
		return fmt.Errorf("unknown shape %s", name)
	}
	if s.Exception {
		return nil
	}
	g.used[name] = true
	path = append(path, name)
	for _, r := range children(s) {
		if r.TimestampFormat != "" {
			return fmt.Errorf("shape %s: member-level timestampFormat is not supported", name)
		}
		if err := g.mark(r.Shape, path); err != nil {
			return err
		}
	}
	return nil
}

func children(s *shape) []*ref {
	var rs []*ref
	for _, n := range s.memberOrder {
		rs = append(rs, s.Members[n])
	}
	for _, r := range []*ref{s.Member, s.Key, s.Value} {
		if r != nil {
			rs = append(rs, r)
		}
	}
	return rs
}

// checkNames makes sure exported Go names do not collide.
func (g *gen) checkNames() error {
	seen := map[string]string{}
	for n := range g.used {
		s := g.m.Shapes[n]
		if s.Type != "structure" {
			continue
		}
		t := exported(n)
		if prev, ok := seen[t]; ok {
			return fmt.Errorf("shapes %s and %s both map to Go type %s", prev, n, t)
		}
		seen[t] = n
	}
	return nil
}

func exported(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func shapeVar(name string) string { return "shape" + exported(name) }

func (g *gen) genOperations(ops []string) {
	var all []string
	for _, name := range ops {
		op := g.m.Operations[name]
		in, out := "awsquery.Empty", "awsquery.Empty"
		inShape, outShape, wrapper := "nil", "nil", ""
		dec := "func(*awsquery.Value) *awsquery.Empty { return &awsquery.Empty{} }"
		enc := "func(*awsquery.Empty) awsquery.Value { return awsquery.Value{} }"
		if op.Input != nil {
			in = exported(op.Input.Shape)
			inShape = shapeVar(op.Input.Shape)
			dec = fmt.Sprintf("func(v *awsquery.Value) *%s { x := dec%s(v); return &x }", in, exported(op.Input.Shape))
		}
		if op.Output != nil {
			out = exported(op.Output.Shape)
			outShape = shapeVar(op.Output.Shape)
			wrapper = op.Output.ResultWrapper
			enc = fmt.Sprintf("func(x *%s) awsquery.Value { return enc%s(x, make([]awsquery.Value, %d)) }", out, out, g.encSize(op.Output.Shape))
		}
		unsigned := slices.Contains(op.Auth, "smithy.api#noAuth")
		g.p("// %s is the %s action.", name, name)
		g.p("var %s = &awsquery.Operation[%s, %s]{", name, in, out)
		g.p("OperationInfo: awsquery.OperationInfo{Service: Service, Name: %q, Input: %s, Output: %s, ResultWrapper: %q, Unsigned: %v},", name, inShape, outShape, wrapper, unsigned)
		g.p("DecodeInput: %s,", dec)
		g.p("EncodeOutput: %s,", enc)
		g.p("}")
		g.p("")
		all = append(all, name+".Info()")
	}
	g.p("// Operations lists every action of the service.")
	g.p("var Operations = []*awsquery.OperationInfo{%s}", strings.Join(all, ", "))
	g.p("")
}

func (g *gen) genShape(name string) {
	s := g.m.Shapes[name]
	var f []string
	f = append(f, fmt.Sprintf("Name: %q", name))
	f = append(f, "Kind: awsquery."+kindConst(s.Type))
	if s.Flattened {
		f = append(f, "Flattened: true")
	}
	if s.Min != nil {
		f = append(f, "HasMin: true", "Min: "+s.Min.String())
	}
	if s.Max != nil {
		f = append(f, "HasMax: true", "Max: "+s.Max.String())
	}
	if s.Pattern != nil {
		f = append(f, "Pattern: "+strconv.Quote(*s.Pattern))
	}
	if len(s.Enum) > 0 {
		var q []string
		for _, e := range s.Enum {
			q = append(q, strconv.Quote(e))
		}
		f = append(f, "Enum: []string{"+strings.Join(q, ", ")+"}")
	}
	switch s.TimestampFormat {
	case "unixTimestamp":
		f = append(f, "TimestampFormat: awsquery.TimestampUnix")
	case "rfc822":
		f = append(f, "TimestampFormat: awsquery.TimestampRFC822")
	}
	if s.Sensitive {
		f = append(f, "Sensitive: true")
	}
	if s.Member != nil {
		f = append(f, "Member: &"+refLit(s.Member))
	}
	if s.Key != nil {
		f = append(f, "Key: &"+refLit(s.Key))
	}
	if s.Value != nil {
		f = append(f, "Value: &"+refLit(s.Value))
	}
	if s.Type == "structure" {
		var ms []string
		for _, mn := range s.memberOrder {
			req := slices.Contains(s.Required, mn)
			lit := fmt.Sprintf("{Name: %q, Ref: %s", mn, refLit(s.Members[mn]))
			if req {
				lit += ", Required: true"
			}
			ms = append(ms, lit+"}")
		}
		if len(ms) > 0 {
			f = append(f, "Members: []awsquery.Member{\n"+strings.Join(ms, ",\n")+",\n}")
		}
	}
	g.p("%s = &awsquery.Shape{%s}", shapeVar(name), strings.Join(f, ", "))
}

func refLit(r *ref) string {
	f := []string{"Shape: " + shapeVar(r.Shape)}
	if r.LocationName != "" {
		f = append(f, "LocationName: "+strconv.Quote(r.LocationName))
	}
	if r.Flattened {
		f = append(f, "Flattened: true")
	}
	if len(r.XMLNamespace) > 0 {
		var uri string
		var ns struct{ URI, Prefix string }
		if json.Unmarshal(r.XMLNamespace, &uri) != nil {
			_ = json.Unmarshal(r.XMLNamespace, &ns)
			uri = ns.URI
		}
		f = append(f, "XMLNamespace: "+strconv.Quote(uri))
		if ns.Prefix != "" {
			f = append(f, "XMLNamespacePrefix: "+strconv.Quote(ns.Prefix))
		}
	}
	return "awsquery.Ref{" + strings.Join(f, ", ") + "}"
}

func kindConst(t string) string {
	switch t {
	case "string":
		return "KindString"
	case "boolean":
		return "KindBoolean"
	case "integer":
		return "KindInteger"
	case "long":
		return "KindLong"
	case "float":
		return "KindFloat"
	case "double":
		return "KindDouble"
	case "timestamp":
		return "KindTimestamp"
	case "blob":
		return "KindBlob"
	case "structure":
		return "KindStructure"
	case "list":
		return "KindList"
	case "map":
		return "KindMap"
	}
	panic("unknown shape type " + t)
}

// genEnums emits a constant per enum value, named after the shape and the
// value ("StatusTypeActive"), so handlers need not spell wire strings.
func (g *gen) genEnums(names []string) error {
	seen := map[string]string{}
	for _, n := range names {
		s := g.m.Shapes[n]
		if s.Type != "string" || len(s.Enum) == 0 {
			continue
		}
		g.p("// The values of %s.", n)
		g.p("const (")
		for _, v := range s.Enum {
			c := exported(n) + identifier(v)
			if prev, ok := seen[c]; ok {
				return fmt.Errorf("enum constant %s for %q collides with %q", c, v, prev)
			}
			seen[c] = v
			g.p("%s = %q", c, v)
		}
		g.p(")")
		g.p("")
	}
	return nil
}

// identifier turns an enum value ("SERVICE_LEVEL", "us-east-1",
// "stringList") into an exported Go identifier fragment ("ServiceLevel",
// "UsEast1", "StringList"). Values without lower-case letters are read as
// upper-case words.
func identifier(v string) string {
	words := strings.FieldsFunc(v, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	allUpper := strings.ToUpper(v) == v
	var b strings.Builder
	for _, w := range words {
		if allUpper {
			w = strings.ToLower(w)
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// goType is the Go type of a value of the shape (never a pointer).
func (g *gen) goType(name string) string {
	s := g.m.Shapes[name]
	switch s.Type {
	case "string":
		return "string"
	case "boolean":
		return "bool"
	case "integer":
		return "int32"
	case "long":
		return "int64"
	case "float":
		return "float32"
	case "double":
		return "float64"
	case "timestamp":
		return "time.Time"
	case "blob":
		return "[]byte"
	case "structure":
		return exported(name)
	case "list":
		return "[]" + g.goType(s.Member.Shape)
	case "map":
		return "map[string]" + g.goType(s.Value.Shape)
	}
	panic("unknown shape type " + s.Type)
}

// pointerWhenOptional: optional members of these types are pointers, so
// absence is distinguishable from the zero value.
func pointerWhenOptional(t string) bool {
	switch t {
	case "boolean", "integer", "long", "float", "double", "structure":
		return true
	}
	return false
}

// decExpr converts the Value v (an addressable expression of type
// awsquery.Value) into the shape's Go type.
func (g *gen) decExpr(name, v string) string {
	s := g.m.Shapes[name]
	switch s.Type {
	case "string":
		return v + ".Str"
	case "boolean":
		return v + ".Bool"
	case "integer":
		return "int32(" + v + ".Int)"
	case "long":
		return v + ".Int"
	case "float":
		return "float32(" + v + ".Float)"
	case "double":
		return v + ".Float"
	case "timestamp":
		return v + ".Time"
	case "blob":
		return v + ".Bytes"
	}
	return "dec" + exported(name) + "(&" + v + ")"
}

// encExpr converts x (an addressable expression of the Go type) to a Value.
func (g *gen) encExpr(name, x string) string {
	s := g.m.Shapes[name]
	switch s.Type {
	case "string":
		return "awsquery.String(" + x + ")"
	case "boolean":
		return "awsquery.Bool(" + x + ")"
	case "integer":
		return "awsquery.Int(int64(" + x + "))"
	case "long":
		return "awsquery.Int(" + x + ")"
	case "float":
		return "awsquery.Float(float64(" + x + "))"
	case "double":
		return "awsquery.Float(" + x + ")"
	case "timestamp":
		return "awsquery.Time(" + x + ")"
	case "blob":
		return "awsquery.Bytes(" + x + ")"
	case "structure":
		return fmt.Sprintf("enc%s(&%s, make([]awsquery.Value, %d))", exported(name), x, g.encSize(name))
	}
	return "enc" + exported(name) + "(" + x + ")"
}

// encSize is how many Values a structure's encoder fills: one per member,
// and those of its structure members, which share its allocation (one per
// response rather than one per nested structure). Recursive shapes are
// refused by mark, so the sum is finite.
func (g *gen) encSize(name string) int {
	s := g.m.Shapes[name]
	n := len(s.memberOrder)
	for _, mn := range s.memberOrder {
		if r := s.Members[mn]; g.m.Shapes[r.Shape].Type == "structure" {
			n += g.encSize(r.Shape)
		}
	}
	return n
}

func (g *gen) genStruct(name string, s *shape) {
	t := exported(name)
	g.p("// %s is the %s structure.", t, name)
	g.p("type %s struct {", t)
	for _, mn := range s.memberOrder {
		r := s.Members[mn]
		ms := g.m.Shapes[r.Shape]
		typ := g.goType(r.Shape)
		if !slices.Contains(s.Required, mn) && pointerWhenOptional(ms.Type) {
			typ = "*" + typ
		}
		g.p("%s %s", exported(mn), typ)
	}
	g.p("}")
	g.p("")

	g.p("func dec%s(v *awsquery.Value) (x %s) {", t, t)
	if len(s.memberOrder) > 0 {
		g.p("e := v.Elems")
		g.p("if len(e) != %d { return x }", len(s.memberOrder))
	}
	for i, mn := range s.memberOrder {
		r := s.Members[mn]
		ms := g.m.Shapes[r.Shape]
		field := "x." + exported(mn)
		expr := g.decExpr(r.Shape, fmt.Sprintf("e[%d]", i))
		if !slices.Contains(s.Required, mn) && pointerWhenOptional(ms.Type) {
			g.p("if e[%d].Set { t := %s; %s = &t }", i, expr, field)
		} else {
			g.p("if e[%d].Set { %s = %s }", i, field, expr)
		}
	}
	g.p("return x")
	g.p("}")
	g.p("")

	n := len(s.memberOrder)
	g.p("// enc%s encodes x into e, which holds %d Values: x's members, then", t, g.encSize(name))
	g.p("// those of its structure members, which share the allocation.")
	g.p("func enc%s(x *%s, e []awsquery.Value) awsquery.Value {", t, t)
	off := n
	for i, mn := range s.memberOrder {
		r := s.Members[mn]
		ms := g.m.Shapes[r.Shape]
		field := "x." + exported(mn)
		req := slices.Contains(s.Required, mn)
		if ms.Type == "structure" {
			size := g.encSize(r.Shape)
			sub := fmt.Sprintf("e[%d:%d]", off, off+size)
			off += size
			if req {
				g.p("e[%d] = enc%s(&%s, %s)", i, exported(r.Shape), field, sub)
			} else {
				g.p("if %s != nil { e[%d] = enc%s(%s, %s) }", field, i, exported(r.Shape), field, sub)
			}
			continue
		}
		switch {
		case !req && pointerWhenOptional(ms.Type):
			g.p("if %s != nil { e[%d] = %s }", field, i, g.encExpr(r.Shape, "*"+field))
		case req:
			g.p("e[%d] = %s", i, g.encExpr(r.Shape, field))
		case ms.Type == "timestamp":
			g.p("if !%s.IsZero() { e[%d] = %s }", field, i, g.encExpr(r.Shape, field))
		case ms.Type == "string":
			g.p("if %s != \"\" { e[%d] = %s }", field, i, g.encExpr(r.Shape, field))
		default: // blob, list, map
			g.p("if %s != nil { e[%d] = %s }", field, i, g.encExpr(r.Shape, field))
		}
	}
	g.p("return awsquery.Struct(e[:%d:%d])", n, n)
	g.p("}")
	g.p("")
}

func (g *gen) genList(name string, s *shape) {
	t := exported(name)
	et := g.goType(s.Member.Shape)
	g.p("func dec%s(v *awsquery.Value) []%s {", t, et)
	g.p("x := make([]%s, len(v.Elems))", et)
	g.p("for i := range v.Elems { x[i] = %s }", g.decExpr(s.Member.Shape, "v.Elems[i]"))
	g.p("return x")
	g.p("}")
	g.p("")
	g.p("func enc%s(x []%s) awsquery.Value {", t, et)
	if ms := s.Member.Shape; g.m.Shapes[ms].Type == "structure" {
		// The elements and everything they hold in one allocation.
		size := g.encSize(ms)
		g.p("e := make([]awsquery.Value, len(x)*%d)", 1+size)
		g.p("for i := range x { e[i] = enc%s(&x[i], e[len(x)+i*%d:len(x)+(i+1)*%d]) }", exported(ms), size, size)
		g.p("return awsquery.List(e[:len(x):len(x)])")
	} else {
		g.p("e := make([]awsquery.Value, len(x))")
		g.p("for i := range x { e[i] = %s }", g.encExpr(ms, "x[i]"))
		g.p("return awsquery.List(e)")
	}
	g.p("}")
	g.p("")
}

func (g *gen) genMap(name string, s *shape) {
	t := exported(name)
	vt := g.goType(s.Value.Shape)
	g.p("func dec%s(v *awsquery.Value) map[string]%s {", t, vt)
	g.p("x := make(map[string]%s, len(v.Elems))", vt)
	g.p("for i := range v.Elems { kv := v.Elems[i].Elems; x[kv[0].Str] = %s }", g.decExpr(s.Value.Shape, "kv[1]"))
	g.p("return x")
	g.p("}")
	g.p("")
	g.p("func enc%s(x map[string]%s) awsquery.Value {", t, vt)
	g.p("e := make([]awsquery.Value, 0, len(x))")
	g.p("for _, k := range slices.Sorted(maps.Keys(x)) { v := x[k]; e = append(e, awsquery.Entry(k, %s)) }", g.encExpr(s.Value.Shape, "v"))
	g.p("return awsquery.List(e)")
	g.p("}")
	g.p("")
}

// genErrors emits the catalogue entries for every error shape of the models.
func genErrors(botocore string, models []*model) ([]byte, error) {
	g := &gen{}
	type entry struct {
		code, shape, service string
		status               int
		sender               bool
	}
	byCode := map[string]entry{}
	for _, m := range models {
		for name, s := range m.Shapes {
			if !s.Exception {
				continue
			}
			// botocore's defaults when a shape has no error trait:
			// the shape name, 400, client fault.
			e := entry{code: name, shape: name, service: m.Metadata.EndpointPrefix, status: 400, sender: true}
			if s.Error != nil {
				e.code, e.status, e.sender = s.Error.Code, s.Error.HTTPStatusCode, s.Error.SenderFault
			}
			if prev, ok := byCode[e.code]; ok {
				if prev.status != e.status || prev.sender != e.sender {
					return nil, fmt.Errorf("error code %s differs between %s and %s", e.code, prev.service, e.service)
				}
				prev.service += ", " + e.service
				byCode[e.code] = prev
				continue
			}
			byCode[e.code] = e
		}
	}
	codes := mapsKeys(byCode)
	g.buf.WriteString(header(botocore, models...))
	g.p("")
	g.p("package awsquery")
	g.p("")
	g.p("// The errors the STS and IAM models declare, with the status and fault of")
	g.p("// each model's error trait.")
	g.p("var (")
	for _, c := range codes {
		e := byCode[c]
		g.p("// Code%s is %s (%s).", exported(c), e.shape, e.service)
		g.p("Code%s = &Code{%q, %d, %v}", exported(c), c, e.status, e.sender)
	}
	g.p(")")
	g.p("")
	g.p("// modelCodes lists the codes above.")
	var refs []string
	for _, c := range codes {
		refs = append(refs, "Code"+exported(c))
	}
	g.p("var modelCodes = []*Code{%s}", strings.Join(refs, ", "))
	return g.buf.Bytes(), nil
}

func mapsKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
