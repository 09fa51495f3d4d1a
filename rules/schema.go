package rules

import (
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/qualifyhq/qualify/model"
	"github.com/qualifyhq/qualify/parser"
)

// Type is the declared type of a fact.
type Type struct {
	// Kind is one of model's bool, int, number, string, time, duration,
	// list or object kinds.
	Kind model.Kind
	// Elem is the element type of a list.
	Elem *Type
	// Event marks the event object: type string, at time, other fields any.
	Event bool
}

// String renders the type as the language writes it.
func (t *Type) String() string {
	switch {
	case t == nil:
		return "object"
	case t.Kind == model.KindList:
		return "list<" + t.Elem.String() + ">"
	case t.Event:
		return "event"
	case t.Kind == model.KindMissing:
		return "any"
	}
	return t.Kind.String()
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// eventFields are the fields every event has.
var eventFields = types.Map{
	"type":      types.String,
	"at":        types.TypeOf(time.Time{}),
	types.Extra: types.Any,
}

// exprType is the type expr checks expressions against.
func (t *Type) exprType() types.Type {
	switch t.Kind {
	case model.KindBool:
		return types.Bool
	case model.KindInt:
		return types.Int
	case model.KindNumber:
		return types.Float64
	case model.KindString:
		return types.String
	case model.KindTime:
		return types.TypeOf(time.Time{})
	case model.KindDuration:
		return types.TypeOf(time.Duration(0))
	case model.KindList:
		return types.Array(t.Elem.exprType())
	case model.KindObject:
		return eventFields
	}
	return types.Any
}

// typeNames are the scalar type names of the facts block.
var typeNames = map[string]*Type{
	"string":   {Kind: model.KindString},
	"int":      {Kind: model.KindInt},
	"number":   {Kind: model.KindNumber},
	"bool":     {Kind: model.KindBool},
	"time":     {Kind: model.KindTime},
	"duration": {Kind: model.KindDuration},
	"event":    {Kind: model.KindObject, Event: true},
}

// FactNode is a declared fact path, or an object above declared paths
// (company for company.industry). Every node has a slot Index in a decoded
// lead.
type FactNode struct {
	// Name is the last segment of Path.
	Name string
	Path string
	// Index is the node's position in Schema.Nodes.
	Index int
	// Type is the declared type; nil for an object node.
	Type     *Type
	Required bool
	Children []*FactNode
	Parent   *FactNode
	// Pos is where the fact was declared.
	Pos parser.Pos
}

// IsObject reports whether the node is an object above declared facts.
func (n *FactNode) IsObject() bool { return n.Type == nil }

// Child returns the child called name, or nil.
func (n *FactNode) Child(name string) *FactNode {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// MaxFactDepth is the most names a fact path may have (company.hq.city has
// three): deeper paths are an error (E235).
const MaxFactDepth = 32

// Schema is the compiled facts block: the tree of declared fact paths.
type Schema struct {
	// Root is the top object; its children are the fact roots.
	Root *FactNode
	// Nodes lists every node but the root, parents before children.
	Nodes []*FactNode
	// Facts lists the declared facts in declaration order.
	Facts  []*FactNode
	byPath map[string]*FactNode
}

// Lookup returns the node for a dotted path, or nil.
func (s *Schema) Lookup(path string) *FactNode { return s.byPath[path] }

// Paths returns the paths of all declared facts.
func (s *Schema) Paths() []string {
	out := make([]string, len(s.Facts))
	for i, f := range s.Facts {
		out[i] = f.Path
	}
	return out
}

func newSchema() *Schema {
	return &Schema{Root: &FactNode{Index: -1}, byPath: map[string]*FactNode{}}
}

// declare adds a fact declaration, reporting duplicates and shape conflicts.
func (c *compiler) declareFact(s *Schema, src *parser.Source, d *parser.FactDecl) {
	typ := c.resolveType(src, d.Type)
	if typ == nil {
		// The type is reported; declare the fact anyway, as any, so that
		// conditions reading it do not also call it unknown.
		typ = &Type{Kind: model.KindMissing}
	}
	if n := strings.Count(d.Path.Text, ".") + 1; n > MaxFactDepth {
		c.diag(src, CodeFactTooDeep, d.Path.Range(), "fact path has %d names; the limit is %d", n, MaxFactDepth)
		return
	}
	segs := strings.Split(d.Path.Text, ".")
	node := s.Root
	end := -1 // where the path up to segs[i] ends in d.Path.Text
	for i, seg := range segs {
		end += len(seg) + 1
		path := d.Path.Text[:end]
		child := s.byPath[path]
		last := i == len(segs)-1
		if child == nil {
			child = &FactNode{Name: seg, Path: path, Parent: node, Index: len(s.Nodes), Pos: parser.ToPos(d.Pos)}
			node.Children = append(node.Children, child)
			s.Nodes = append(s.Nodes, child)
			s.byPath[path] = child
			if last {
				child.Type = typ
				child.Required = d.Required
				s.Facts = append(s.Facts, child)
			}
			node = child
			continue
		}
		switch {
		case last && !child.IsObject():
			c.diag(src, CodeDuplicate, d.Path.Range(), "fact %s is declared twice", path).
				Notes = []parser.Note{c.note(child.Pos, "first declared here")}
			return
		case last:
			c.diag(src, CodeFactShape, d.Path.Range(), "fact %s is declared as %s, but other facts are declared inside it (%s)", path, typ, child.Children[0].Path).
				Notes = []parser.Note{c.note(child.Children[0].Pos, child.Children[0].Path+" is declared here")}
			return
		case !child.IsObject():
			c.diag(src, CodeFactShape, d.Path.Range(), "fact %s is declared inside %s, which is declared as %s", d.Path.Text, path, child.Type).
				Notes = []parser.Note{c.note(child.Pos, path+" is declared here")}
			return
		}
		node = child
	}
}

func (c *compiler) resolveType(src *parser.Source, t *parser.TypeRef) *Type {
	if t.List != nil {
		elem := c.resolveType(src, t.List)
		if elem == nil {
			return nil
		}
		return &Type{Kind: model.KindList, Elem: elem}
	}
	if typ, ok := typeNames[t.Name]; ok {
		return typ
	}
	names := make([]string, 0, len(typeNames)+1)
	for n := range typeNames {
		names = append(names, n)
	}
	names = append(names, "list")
	d := c.diag(src, CodeUnknownType, spanAt(t.Pos, t.Name), "unknown type %q", t.Name)
	d.Suggestion = DidYouMean(t.Name, names)
	if d.Suggestion == "" {
		d.Suggestion = "the types are " + quoteList(names[:len(names)-1]) + ", and list<T>"
	}
	return nil
}

// exprType returns the checking type of an object node.
func (n *FactNode) exprType() types.Type {
	if !n.IsObject() {
		return n.Type.exprType()
	}
	m := types.Map{}
	for _, c := range n.Children {
		m[c.Name] = c.exprType()
	}
	return m
}
