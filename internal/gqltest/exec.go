package gqltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// ErrInternal is what the fail field returns: an internal error whose text
// must never reach a client.
var ErrInternal = errors.New("gqltest: db password=hunter2 at /srv/app/db.go:42")

// MaxListLen caps how many nodes a connection or list returns, whatever its
// slicing argument, so tests stay fast.
const MaxListLen = 3

// Executable is a graphql.ExecutableSchema over Schema with canned data. It
// counts every resolver call (one per field resolved, introspection fields
// included) and every Exec. Safe for concurrent use.
type Executable struct {
	schema *ast.Schema
	execs  atomic.Int64
	calls  atomic.Int64
}

var _ graphql.ExecutableSchema = (*Executable)(nil)

// New returns an Executable over a fresh Schema.
func New() *Executable { return &Executable{schema: Schema()} }

// Resolves reports how many field resolvers have run.
func (e *Executable) Resolves() int64 { return e.calls.Load() }

// Execs reports how many operations reached Exec.
func (e *Executable) Execs() int64 { return e.execs.Load() }

// Schema implements graphql.ExecutableSchema.
func (e *Executable) Schema() *ast.Schema { return e.schema }

// Complexity implements graphql.ExecutableSchema with gqlgen's default model
// (1 + children), so gqlgen's own ComplexityLimit can be compared.
func (e *Executable) Complexity(_ context.Context, _, _ string, childComplexity int, _ map[string]any) (int, bool) {
	return 1 + childComplexity, true
}

// Exec implements graphql.ExecutableSchema.
func (e *Executable) Exec(ctx context.Context) graphql.ResponseHandler {
	e.execs.Add(1)
	opCtx := graphql.GetOperationContext(ctx)
	var root *ast.Definition
	switch opCtx.Operation.Operation {
	case ast.Mutation:
		root = e.schema.Mutation
	default:
		root = e.schema.Query
	}
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		var buf bytes.Buffer
		r := &run{e: e, opCtx: opCtx}
		r.object(ctx, &buf, nil, root, rootObj{}, opCtx.Operation.SelectionSet)
		return &graphql.Response{Data: buf.Bytes()}
	}
}

type rootObj struct{}

// User, Post and Comment are the canned objects.
type (
	user    struct{ id int }
	post    struct{ id int }
	comment struct{ id int }
	conn    struct {
		kind string
		n    int
	}
	pageInfo struct{}
)

type run struct {
	e     *Executable
	opCtx *graphql.OperationContext
}

func (r *run) object(ctx context.Context, w *bytes.Buffer, parent *graphql.FieldContext, def *ast.Definition, obj any, sel ast.SelectionSet) {
	fields := graphql.CollectFields(r.opCtx, sel, []string{def.Name})
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(quote(f.Alias))
		w.WriteByte(':')
		if f.Name == "__typename" {
			w.Write(quote(def.Name))
			continue
		}
		fc := &graphql.FieldContext{Parent: parent, Object: def.Name, Field: f, Args: f.ArgumentMap(r.opCtx.Variables), IsResolver: true}
		fctx := graphql.WithFieldContext(ctx, fc)
		r.e.calls.Add(1)
		// Through the server's field interceptors, as generated code does.
		val, err := r.opCtx.ResolverMiddleware(fctx, func(ctx context.Context) (any, error) { return r.resolve(ctx, obj, f) })
		if err != nil {
			graphql.AddError(fctx, err)
			w.WriteString("null")
			continue
		}
		r.value(fctx, w, fc, f.Definition.Type, val, f.Selections)
	}
	w.WriteByte('}')
}

func (r *run) value(ctx context.Context, w *bytes.Buffer, fc *graphql.FieldContext, t *ast.Type, val any, sel ast.SelectionSet) {
	rv := reflect.ValueOf(val)
	if val == nil || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		w.WriteString("null")
		return
	}
	if t.Elem != nil {
		w.WriteByte('[')
		for i := range rv.Len() {
			if i > 0 {
				w.WriteByte(',')
			}
			idx := i
			child := &graphql.FieldContext{Parent: fc, Object: fc.Object, Field: fc.Field, Index: &idx}
			r.value(graphql.WithFieldContext(ctx, child), w, child, t.Elem, rv.Index(i).Interface(), sel)
		}
		w.WriteByte(']')
		return
	}
	def := r.e.schema.Types[t.Name()]
	if def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface) {
		if rv.Kind() == reflect.Pointer {
			val = rv.Interface()
		} else if rv.CanAddr() {
			val = rv.Addr().Interface()
		} else {
			p := reflect.New(rv.Type())
			p.Elem().Set(rv)
			val = p.Interface()
		}
		r.object(ctx, w, fc, def, val, sel)
		return
	}
	if rv.Kind() == reflect.Pointer {
		val = rv.Elem().Interface()
	}
	b, _ := json.Marshal(val)
	w.Write(b)
}

func (r *run) resolve(ctx context.Context, obj any, f graphql.CollectedField) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, r.opCtx.RecoverFunc(ctx, p)
		}
	}()
	args := f.ArgumentMap(r.opCtx.Variables)
	first := MaxListLen
	if v, ok := args["first"]; ok && v != nil {
		first = min(toInt(v), MaxListLen)
	}
	switch o := obj.(type) {
	case rootObj:
		switch f.Name {
		case "me", "user":
			return &user{id: 1}, nil
		case "users":
			return &conn{kind: "User", n: first}, nil
		case "post":
			return &post{id: 1}, nil
		case "posts":
			return &conn{kind: "Post", n: first}, nil
		case "search":
			return posts(MaxListLen), nil
		case "tags":
			return []string{"go", "graphql"}, nil
		case "echo":
			vals, _ := args["values"].([]any)
			return len(vals), nil
		case "fail":
			return nil, ErrInternal
		case "publicFail":
			return nil, &gqlerror.Error{Message: "post not found", Extensions: map[string]any{"code": "NOT_FOUND"}}
		case "boom":
			panic("gqltest: boom at /srv/app/resolver.go:7")
		case "createPost":
			return &post{id: 99}, nil
		case "deletePost":
			return true, nil
		case "__schema":
			if r.opCtx.DisableIntrospection {
				return nil, errors.New("introspection disabled")
			}
			return introspection.WrapSchema(r.e.schema), nil
		case "__type":
			if r.opCtx.DisableIntrospection {
				return nil, errors.New("introspection disabled")
			}
			name, _ := args["name"].(string)
			def := r.e.schema.Types[name]
			if def == nil {
				return nil, nil
			}
			return introspection.WrapTypeFromDef(r.e.schema, def), nil
		}
	case *user:
		switch f.Name {
		case "id":
			return strconv.Itoa(o.id), nil
		case "name":
			return "user" + strconv.Itoa(o.id), nil
		case "email":
			return "user" + strconv.Itoa(o.id) + "@example.com", nil
		case "role":
			return "USER", nil
		case "createdAt":
			return "2026-01-01T00:00:00Z", nil
		case "posts":
			return &conn{kind: "Post", n: first}, nil
		case "followers", "following":
			return &conn{kind: "User", n: first}, nil
		}
	case *post:
		switch f.Name {
		case "id":
			return strconv.Itoa(o.id), nil
		case "title":
			return "title" + strconv.Itoa(o.id), nil
		case "body":
			return "body", nil
		case "author":
			return &user{id: o.id}, nil
		case "createdAt":
			return "2026-01-01T00:00:00Z", nil
		case "comments":
			return &conn{kind: "Comment", n: first}, nil
		}
	case *comment:
		switch f.Name {
		case "id":
			return strconv.Itoa(o.id), nil
		case "body":
			return "nice", nil
		case "author":
			return &user{id: o.id}, nil
		case "post":
			return &post{id: o.id}, nil
		case "createdAt":
			return "2026-01-01T00:00:00Z", nil
		}
	case *conn:
		switch f.Name {
		case "pageInfo":
			return &pageInfo{}, nil
		case "nodes":
			switch o.kind {
			case "User":
				out := make([]*user, o.n)
				for i := range out {
					out[i] = &user{id: i + 1}
				}
				return out, nil
			case "Post":
				return posts(o.n), nil
			default:
				out := make([]*comment, o.n)
				for i := range out {
					out[i] = &comment{id: i + 1}
				}
				return out, nil
			}
		}
	case *pageInfo:
		switch f.Name {
		case "hasNextPage":
			return false, nil
		case "endCursor":
			return nil, nil
		}
	default:
		return reflectField(obj, f.Name, args)
	}
	return nil, errors.New("gqltest: no resolver for " + f.Name)
}

func posts(n int) []*post {
	out := make([]*post, max(n, 0))
	for i := range out {
		out[i] = &post{id: i + 1}
	}
	return out
}

// reflectField resolves introspection objects: a method named like the
// field (taking includeDeprecated when it has one bool parameter), else an
// exported struct field.
func reflectField(obj any, name string, args map[string]any) (any, error) {
	rv := reflect.ValueOf(obj)
	goName := string(unicode.ToUpper(rune(name[0]))) + name[1:]
	if m := rv.MethodByName(goName); m.IsValid() {
		var in []reflect.Value
		if m.Type().NumIn() == 1 && m.Type().In(0).Kind() == reflect.Bool {
			b, _ := args["includeDeprecated"].(bool)
			in = append(in, reflect.ValueOf(b))
		}
		if m.Type().NumIn() == len(in) {
			return m.Call(in)[0].Interface(), nil
		}
	}
	ev := rv
	if ev.Kind() == reflect.Pointer {
		ev = ev.Elem()
	}
	if ev.Kind() == reflect.Struct {
		if fv := ev.FieldByName(goName); fv.IsValid() && fv.CanInterface() {
			return fv.Interface(), nil
		}
	}
	return nil, errors.New("gqltest: no introspection field " + strings.ToLower(name))
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(min(n, 1<<31))
	case json.Number:
		i, _ := n.Int64()
		return int(min(i, 1<<31))
	case float64:
		return int(min(n, 1<<31))
	}
	return 0
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
