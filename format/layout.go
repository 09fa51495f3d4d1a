package format

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qualifyhq/qualify/parser"
)

// printer lays a parsed file out. It walks the AST for the structure and
// the scanner's tokens, in order, for the text of every token, so that each
// token is printed exactly once and every comment stays attached to the
// token it was written next to.
type printer struct {
	f    *parser.File
	text string
	toks []parser.Token
	cur  int
	coms []parser.Comment
	// leading are the comments alone on their lines before a token;
	// trailing the comments after a token on its line; inner the comments
	// inside a condition token.
	leading, trailing, inner map[int][]int
	// tokBlank and comBlank record a blank line before a token or comment.
	tokBlank, comBlank []bool
	// raw keeps every condition exactly as written.
	raw bool
	// rowFirst is the first token of the row being built.
	rowFirst int
	out      []string
	// colOffset and colWidth remember the last column measured, so that
	// measuring along a long line does not start again at its beginning.
	colOffset, colWidth int
}

// layoutError is raised when the tokens do not follow the AST; Source
// then falls back or gives up.
type layoutError string

func layout(f *parser.File, raw bool) (out string, err error) {
	toks, _, err := parser.Scan(f.Source)
	if err != nil {
		return "", err
	}
	p := &printer{f: f, text: f.Source.Text, toks: toks, coms: f.Comments, raw: raw,
		leading: map[int][]int{}, trailing: map[int][]int{}, inner: map[int][]int{}}
	p.attach()
	defer func() {
		if r := recover(); r != nil {
			le, ok := r.(layoutError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%s", string(le))
		}
	}()
	p.file()
	if p.toks[p.cur].Kind != parser.TokEOF {
		return "", fmt.Errorf("token %q was not printed", p.toks[p.cur].Text)
	}
	s := strings.Join(p.out, "\n")
	if s != "" {
		s += "\n"
	}
	return s, nil
}

func isExprTok(k parser.TokenKind) bool { return k == parser.TokExpr || k == parser.TokPointsExpr }

// attach assigns every comment to a token and records blank lines.
func (p *printer) attach() {
	innerCom := make([]bool, len(p.coms))
	for j, c := range p.coms {
		o := c.Start.Offset
		k := sort.Search(len(p.toks), func(i int) bool { return p.toks[i].Start.Offset > o })
		prev := k - 1
		switch {
		case prev >= 0 && isExprTok(p.toks[prev].Kind) && o < p.toks[prev].End.Offset:
			p.inner[prev] = append(p.inner[prev], j)
			innerCom[j] = true
		case c.Own || prev < 0:
			p.leading[k] = append(p.leading[k], j)
		default:
			p.trailing[prev] = append(p.trailing[prev], j)
		}
	}
	p.tokBlank = make([]bool, len(p.toks))
	p.comBlank = make([]bool, len(p.coms))
	prevEnd, ti, ci := 0, 0, 0
	for ti < len(p.toks) || ci < len(p.coms) {
		if ci < len(p.coms) && innerCom[ci] {
			ci++
			continue
		}
		if ci < len(p.coms) && (ti >= len(p.toks) || p.coms[ci].Start.Offset < p.toks[ti].Start.Offset) {
			c := p.coms[ci]
			p.comBlank[ci] = strings.Count(p.text[min(prevEnd, c.Start.Offset):c.Start.Offset], "\n") >= 2
			prevEnd = max(prevEnd, c.End.Offset)
			ci++
			continue
		}
		t := p.toks[ti]
		p.tokBlank[ti] = strings.Count(p.text[min(prevEnd, t.Start.Offset):t.Start.Offset], "\n") >= 2
		prevEnd = max(prevEnd, t.End.Offset)
		ti++
	}
}

// take consumes the next token, which must have the given text (any text
// when want is empty), and returns it as a fragment.
func (p *printer) take(want string) frag {
	t := p.toks[p.cur]
	if t.Kind == parser.TokEOF || (want != "" && t.Text != want) {
		panic(layoutError(fmt.Sprintf("%s: expected %q, found %q", t.Start, want, t.Text)))
	}
	p.cur++
	return frag{text: t.Text, tok: p.cur - 1}
}

// takeExpr consumes a condition token and prepares it for layout.
func (p *printer) takeExpr(e *parser.Expr) frag {
	t := p.toks[p.cur]
	if !isExprTok(t.Kind) || t.Start.Offset != e.Pos.Offset {
		panic(layoutError(fmt.Sprintf("%s: expected a condition, found %q", t.Start, t.Text)))
	}
	idx := p.cur
	p.cur++
	x := &exprText{tok: idx, c0: p.column(t.Start.Offset), itemIndent: p.lineIndent(p.toks[p.rowFirst].Start.Offset)}
	var lcs []lineComment
	for _, j := range p.inner[idx] {
		c := p.coms[j]
		lcs = append(lcs, lineComment{
			line: c.Start.Line - t.Start.Line,
			text: c.Text, own: c.Own, column: p.column(c.Start.Offset),
		})
	}
	if p.raw || !x.format(t.Text, lcs) {
		x.raw = true
		x.lines = nil
		x.rawLines = strings.Split(p.text[t.Start.Offset:t.End.Offset], "\n")
	}
	return frag{tok: idx, x: x}
}

// takeNumber consumes an optionally signed number.
func (p *printer) takeNumber(n *parser.Number) []frag {
	var out []frag
	if n.Sign != "" {
		out = append(out, p.take(n.Sign))
	}
	return append(out, p.take(n.Digits))
}

// column is the display column of offset in its line.
func (p *printer) column(offset int) int {
	start := p.f.Source.LineStart(offset)
	if p.colOffset < start || p.colOffset > offset {
		p.colOffset, p.colWidth = start, 0
	}
	p.colWidth = advance(p.colWidth, p.text[p.colOffset:offset])
	p.colOffset = offset
	return p.colWidth
}

// lineIndent is the indentation of the line holding offset.
func (p *printer) lineIndent(offset int) int {
	line := p.text[p.f.Source.LineStart(offset):]
	return displayWidth(line[:len(line)-len(strings.TrimLeft(line, " \t"))])
}

// frag is a piece of a cell: literal text, a token, or a condition.
type frag struct {
	text string
	tok  int
	x    *exprText
}

func lit(s string) frag { return frag{text: s, tok: -1} }

type cell []frag

// width returns the width of the cell's first line and whether the cell
// fits on one line.
func (c cell) width() (int, bool) {
	w := 0
	for _, f := range c {
		if f.x != nil {
			if f.x.multiline() {
				return w + f.x.width(), false
			}
			w += f.x.width()
			continue
		}
		w += runeLen(f.text)
	}
	return w, true
}

// row is one item of a table: its cells, laid out in columns.
type row struct {
	cells  []cell
	indent int
	// sep is the number of spaces between columns.
	sep int
	// breakAt is the index of a cell that starts a new line in the column
	// of cell 1 (a because under its when), or 0.
	breakAt int
	// free rows stand outside the table's columns.
	free bool
}

// outLine is one line of output with its trailing comments.
type outLine struct {
	text     string
	comments []string
	// commentIdx are the indexes of the comments that are the trailing
	// comments of tokens; before are comments to print above the line.
	commentIdx []int
	before     []int
	// verbatim lines are part of a condition kept exactly as written.
	verbatim bool
}

// entry is a row with the comments and blank line before it.
type entry struct {
	blank   bool
	leading []comLine
	// blankAfter is a blank line between the leading comments and the row.
	blankAfter bool
	row        *row
	lines      []outLine
}

type comLine struct {
	text  string
	blank bool
}

// newEntry starts an entry at the next token, with the comments before it.
func (p *printer) newEntry() *entry {
	p.rowFirst = p.cur
	e := &entry{}
	lead := p.leading[p.cur]
	if len(lead) > 0 {
		e.blank = p.comBlank[lead[0]]
		for i, j := range lead {
			e.leading = append(e.leading, comLine{text: p.coms[j].Text, blank: i > 0 && p.comBlank[j]})
		}
		e.blankAfter = p.tokBlank[p.cur]
	} else {
		e.blank = p.tokBlank[p.cur]
	}
	return e
}

// widths computes the column widths of a table.
func widths(entries []*entry) []int {
	var w []int
	for _, e := range entries {
		r := e.row
		if r == nil || r.free {
			continue
		}
		for j, c := range r.cells {
			if j == len(r.cells)-1 || (r.breakAt > 0 && j+1 >= r.breakAt) {
				break
			}
			cw, single := c.width()
			if !single {
				break
			}
			for len(w) <= j {
				w = append(w, 0)
			}
			w[j] = max(w[j], cw)
		}
	}
	return w
}

// render lays a row out with the table's column widths.
func (p *printer) render(e *entry, w []int) {
	r := e.row
	first := p.rowFirstOf(e)
	lines := []outLine{{text: spaces(r.indent)}}
	var col1 int
	prevMulti, broken := false, false
	for j, c := range r.cells {
		cur := &lines[len(lines)-1]
		switch {
		case j == 0:
		case j == r.breakAt:
			lines = append(lines, outLine{text: spaces(col1)})
			cur = &lines[len(lines)-1]
		case prevMulti || broken:
			cur.text += " "
		case r.free || j-1 >= len(w):
			cur.text += spaces(r.sep)
		default:
			target := r.indent + sumWidths(w[:j], r.sep)
			cur.text += spaces(max(target-runeLen(cur.text), r.sep))
		}
		if j == 1 {
			col1 = runeLen(cur.text)
		}
		before := len(lines)
		for _, f := range c {
			cur = &lines[len(lines)-1]
			if f.tok >= 0 && f.tok != first {
				// Comments alone on their lines inside the row go above
				// the line the token lands on.
				cur.before = append(cur.before, p.leading[f.tok]...)
			}
			if f.x != nil {
				text, comment, rest := f.x.render(runeLen(cur.text), r.indent)
				cur.text += text
				if comment != "" {
					cur.comments = append(cur.comments, comment)
				}
				lines = append(lines, rest...)
			} else {
				cur.text += f.text
			}
			if f.tok >= 0 {
				last := &lines[len(lines)-1]
				for _, k := range p.trailing[f.tok] {
					last.comments = append(last.comments, p.coms[k].Text)
					last.commentIdx = append(last.commentIdx, k)
				}
			}
		}
		prevMulti = len(lines) > before
		broken = broken || prevMulti
	}
	// A line takes one trailing comment; the ones before it go above it.
	for i := range lines {
		l := &lines[i]
		if n := len(l.comments); n > 1 {
			if len(l.commentIdx) < n-1 || l.verbatim {
				panic(layoutError("several comments end up on one line"))
			}
			l.before = append(l.before, l.commentIdx[:n-1]...)
			l.comments = l.comments[n-1:]
		}
		if l.verbatim && len(l.before) > 0 && i > 0 {
			// Never put a line inside a condition kept as written.
			lines[0].before = append(lines[0].before, l.before...)
			l.before = nil
		}
	}
	for i := range lines {
		sort.Ints(lines[i].before)
	}
	e.lines = lines
}

// rowFirstOf is the first token of an entry's row; its leading comments
// are the entry's own.
func (p *printer) rowFirstOf(e *entry) int {
	for _, c := range e.row.cells {
		for _, f := range c {
			if f.tok >= 0 {
				return f.tok
			}
		}
	}
	return -1
}

func sumWidths(w []int, sep int) int {
	s := 0
	for _, x := range w {
		s += x + sep
	}
	return s
}

// table renders entries whose rows share columns, and their comments.
func (p *printer) table(entries []*entry) []string {
	w := widths(entries)
	for _, e := range entries {
		p.render(e, w)
	}
	// Trailing comments of one-line rows line up; a row over several lines
	// lines its own comments up.
	col := 0
	for _, e := range entries {
		if len(e.lines) == 1 && len(e.lines[0].comments) > 0 {
			col = max(col, runeLen(e.lines[0].text)+2)
		}
	}
	for _, e := range entries {
		if len(e.lines) == 1 {
			if len(e.lines[0].comments) > 0 {
				l := &e.lines[0]
				l.text += spaces(col-runeLen(l.text)) + l.comments[0]
			}
			continue
		}
		own := 0
		for _, l := range e.lines {
			if len(l.comments) > 0 && !l.verbatim {
				own = max(own, runeLen(l.text)+2)
			}
		}
		for i := range e.lines {
			l := &e.lines[i]
			if len(l.comments) > 0 {
				pad := own - runeLen(l.text)
				if pad < 2 || l.verbatim {
					pad = 2
				}
				l.text += spaces(pad) + l.comments[0]
			}
		}
	}
	var out []string
	for _, e := range entries {
		if e.blank {
			out = append(out, "")
		}
		for _, c := range e.leading {
			if c.blank {
				out = append(out, "")
			}
			out = append(out, spaces(e.row.indent)+c.text)
		}
		if e.blankAfter && len(e.leading) > 0 {
			out = append(out, "")
		}
		for _, l := range e.lines {
			for _, k := range l.before {
				out = append(out, spaces(e.row.indent)+p.coms[k].Text)
			}
			if l.verbatim {
				out = append(out, l.text)
				continue
			}
			out = append(out, strings.TrimRight(l.text, " "))
		}
	}
	return out
}

// file lays out the whole file.
func (p *printer) file() {
	var lets []*entry
	flush := func() {
		if len(lets) > 0 {
			p.out = append(p.out, p.table(lets)...)
			lets = nil
		}
	}
	prevBlock := false
	for i, s := range p.f.Stmts {
		e := p.newEntry()
		block := isBlock(s)
		switch {
		case i == 0:
			e.blank = false
		case block || prevBlock:
			e.blank = true
		}
		prevBlock = block
		if s, ok := s.(*parser.LetStmt); ok {
			if e.blank || len(e.leading) > 0 && e.blankAfter {
				flush() // a blank line ends the table
			}
			e.row = p.letRow(s)
			lets = append(lets, e)
			continue
		}
		flush()
		p.stmt(s, e)
	}
	flush()
	// Comments after the last statement.
	for i, j := range p.leading[p.cur] {
		if p.comBlank[j] && (len(p.out) > 0 || i > 0) {
			p.out = append(p.out, "")
		}
		p.out = append(p.out, p.coms[j].Text)
	}
}

func isBlock(s parser.Stmt) bool {
	switch s.(type) {
	case *parser.PolicyStmt, *parser.LetStmt, *parser.TotalStmt:
		return false
	}
	return true
}

func (p *printer) letRow(s *parser.LetStmt) *row {
	name := cell{p.take("let"), lit(" "), p.take(s.Name.Text)}
	eq := p.take("=")
	value := cell{eq, lit(" "), p.takeExpr(s.Value)}
	return &row{cells: []cell{name, value}, sep: 1}
}

// stmt lays out one statement other than a let.
func (p *printer) stmt(s parser.Stmt, e *entry) {
	switch s := s.(type) {
	case *parser.PolicyStmt:
		c := cell{p.take("policy"), lit(" "), p.take(s.Name.Raw)}
		if s.Version != nil {
			c = append(c, lit(" "), p.take("version"), lit(" "), p.take(s.Version.Raw))
		}
		e.row = &row{cells: []cell{c}, free: true}
		p.out = append(p.out, p.table([]*entry{e})...)
	case *parser.TotalStmt:
		c := cell{p.take("total")}
		c = p.clamps(c, s.Clamps)
		e.row = &row{cells: []cell{c}, free: true}
		p.out = append(p.out, p.table([]*entry{e})...)
	case *parser.FactsStmt:
		head := cell{p.take("facts")}
		p.block(e, head, func() []*entry {
			var items []*entry
			for _, d := range s.Facts {
				ie := p.newEntry()
				cells := []cell{{p.take(d.Path.Text)}, p.typeRef(d.Type, nil)}
				if d.Required {
					cells = append(cells, cell{p.take("required")})
				}
				ie.row = &row{cells: cells}
				items = append(items, ie)
			}
			return items
		})
	case *parser.FrameworkStmt:
		head := cell{p.take("framework"), lit(" "), p.take(s.Name.Text)}
		if s.Qualified != nil {
			head = append(head, lit(" "), p.take("qualified"), lit(" "), p.take("when"), lit(" "), p.takeExpr(s.Qualified))
		}
		p.block(e, head, func() []*entry {
			var items []*entry
			for _, c := range s.Criteria {
				ie := p.newEntry()
				ie.row = &row{cells: []cell{
					{p.take(c.Name.Text)},
					{p.take(c.Label.Raw)},
					{p.take("when"), lit(" "), p.takeExpr(c.When)},
				}}
				items = append(items, ie)
			}
			return items
		})
	case *parser.ScoreStmt:
		head := cell{p.take("score"), lit(" "), p.take(s.Name.Text)}
		head = p.clamps(head, s.Clamps)
		p.block(e, head, func() []*entry {
			var items []*entry
			for _, r := range s.Rules {
				ie := p.newEntry()
				ie.row = p.ruleRow(r)
				items = append(items, ie)
			}
			return items
		})
	case *parser.ClassifyStmt:
		head := cell{p.take("classify"), lit(" "), p.take(s.Name.Text)}
		p.block(e, head, func() []*entry {
			var items []*entry
			for _, st := range s.Steps {
				ie := p.newEntry()
				ie.row = p.stepRow(st)
				items = append(items, ie)
			}
			return items
		})
	case *parser.TestStmt:
		head := cell{p.take("test"), lit(" "), p.take(s.Name.Raw)}
		p.block(e, head, func() []*entry {
			var items []*entry
			for _, it := range s.Items {
				ie := p.newEntry()
				var c cell
				switch {
				case it.Now != nil:
					c = cell{p.take("now"), lit(" "), p.take(it.Now.Raw)}
				case it.GivenFile != nil:
					c = cell{p.take("given"), lit(" "), p.take("file"), lit(" "), p.take(it.GivenFile.Raw)}
				case it.Given != nil:
					c = cell{p.take("given"), lit(" "), p.takeExpr(it.Given)}
				default:
					c = cell{p.take("expect"), lit(" "), p.takeExpr(it.Expect)}
				}
				ie.row = &row{cells: []cell{c}}
				items = append(items, ie)
			}
			return items
		})
	default:
		panic(layoutError(fmt.Sprintf("unknown statement %T", s)))
	}
}

func (p *printer) clamps(c cell, cs []*parser.Clamp) cell {
	for _, cl := range cs {
		c = append(c, lit(" "), p.take(cl.Kind), lit(" "))
		c = append(c, p.takeNumber(cl.Value)...)
	}
	return c
}

func (p *printer) typeRef(t *parser.TypeRef, c cell) cell {
	if t.List != nil {
		c = append(c, p.take("list"), p.take("<"))
		c = p.typeRef(t.List, c)
		return append(c, p.take(">"))
	}
	return append(c, p.take(t.Name))
}

func (p *printer) ruleRow(r *parser.Rule) *row {
	points := cell{p.take(r.Points.Sign)}
	free := false
	if r.Points.Expr != nil {
		points = append(points, lit("("), p.takeExpr(r.Points.Expr), lit(")"))
		free = true
	} else {
		points = append(points, p.take(r.Points.Number))
	}
	label := cell{p.take(r.Label.Raw)}
	var body cell
	if r.When != nil {
		body = cell{p.take("when"), lit(" "), p.takeExpr(r.When)}
	} else {
		body = cell{p.take("each"), lit(" "), p.take(r.Each.Text), lit(" "), p.take("where"), lit(" "), p.takeExpr(r.Where)}
		for _, o := range r.Options {
			if o.Limit != nil {
				body = append(body, lit(" "), p.take("limit"), lit(" "))
				body = append(body, p.takeNumber(o.Limit)...)
			} else {
				body = append(body, lit(" "), p.take("halflife"), lit(" "), p.take(o.Halflife.Text))
			}
		}
	}
	return &row{cells: []cell{points, label, body}, free: free}
}

func (p *printer) stepRow(st *parser.Step) *row {
	var label frag
	if st.Label.Quoted != nil {
		label = p.take(st.Label.Quoted.Raw)
	} else {
		label = p.take(st.Label.Ident)
	}
	r := &row{cells: []cell{{label}}}
	if st.When != nil {
		r.cells = append(r.cells, cell{p.take("when"), lit(" "), p.takeExpr(st.When)})
	}
	if st.Because != nil {
		prevLine := p.toks[p.cur-1].End.Line
		kw := p.take("because")
		if p.toks[kw.tok].Start.Line > prevLine {
			r.breakAt = len(r.cells)
			if r.breakAt == 1 {
				r.breakAt = 0 // no when: because takes the when column anyway
			}
		}
		r.cells = append(r.cells, cell{kw, lit(" "), p.take(st.Because.Raw)})
	}
	return r
}

// block lays out a statement with a block: its header, its items as tables
// separated by blank lines, and the closing brace.
func (p *printer) block(e *entry, head cell, items func() []*entry) {
	open := p.take("{")
	body := items()
	closeTok := p.cur
	if len(body) == 0 && len(p.leading[closeTok]) == 0 && len(p.trailing[open.tok]) == 0 {
		head = append(head, lit(" "), open, p.take("}"))
		e.row = &row{cells: []cell{head}, free: true}
		p.out = append(p.out, p.table([]*entry{e})...)
		return
	}
	head = append(head, lit(" "), open)
	e.row = &row{cells: []cell{head}, free: true}
	p.out = append(p.out, p.table([]*entry{e})...)
	var tbl []*entry
	for i, ie := range body {
		ie.row.indent = 2
		if ie.row.sep == 0 {
			ie.row.sep = 2
		}
		if i == 0 {
			ie.blank = false
		}
		if (ie.blank || len(ie.leading) > 0 && ie.blankAfter) && len(tbl) > 0 {
			p.out = append(p.out, p.table(tbl)...)
			tbl = nil
		}
		tbl = append(tbl, ie)
	}
	if len(tbl) > 0 {
		p.out = append(p.out, p.table(tbl)...)
	}
	for i, j := range p.leading[closeTok] {
		if p.comBlank[j] && (len(body) > 0 || i > 0) {
			p.out = append(p.out, "")
		}
		p.out = append(p.out, "  "+p.coms[j].Text)
	}
	ce := &entry{row: &row{cells: []cell{{p.take("}")}}, free: true}}
	p.rowFirst = closeTok
	p.out = append(p.out, p.table([]*entry{ce})...)
}
