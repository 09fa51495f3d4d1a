package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/types"

	"github.com/qualifyhq/qualify/parser"
)

// SourceFile is one file of a policy given as text.
type SourceFile struct {
	// Name is the file's path, as diagnostics show it.
	Name string
	Text string
}

// Compile compiles a policy made of one file.
func Compile(name, text string) (*Policy, error) {
	return CompileFiles([]SourceFile{{Name: name, Text: text}})
}

// Load compiles the policy at path: a .qual file, or a directory of them.
func Load(path string) (*Policy, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if info.IsDir() {
		return LoadDir(path)
	}
	return LoadFile(path)
}

// LoadFile compiles a policy made of the one file at path.
func LoadFile(path string) (*Policy, error) {
	return compileFiles(readFiles([]string{path}))
}

// LoadDir compiles the policy made of every .qual file in dir (not its
// subdirectories), leaving out _test.qual files.
func LoadDir(dir string) (*Policy, error) {
	paths, err := PolicyFiles(dir)
	if err != nil {
		return nil, err
	}
	return compileFiles(readFiles(paths))
}

// PolicyFiles lists the .qual files of dir that are not tests, sorted.
func PolicyFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fileError(dir, err)
	}
	var paths []string
	var diags []*parser.Diagnostic
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".qual") || isTestFile(name) {
			continue
		}
		path := filepath.Join(dir, name)
		if !e.Type().IsRegular() {
			// A named pipe would block the read for ever, a device
			// never end: only a regular file, or a link to one, is a
			// policy file.
			if d := regularFileDiag(path); d != nil {
				diags = append(diags, d)
				continue
			}
		}
		paths = append(paths, path)
	}
	if len(diags) > 0 {
		return nil, parser.Gather(diags)
	}
	if len(paths) == 0 {
		d := &parser.Diagnostic{
			Code: CodeNoFiles, Severity: parser.Error,
			Message: "no .qual policy files in this directory",
			Range:   parser.Range{Start: parser.Pos{File: dir}},
		}
		if hasPolicyBelow(dir) {
			d.Suggestion = "its subdirectories hold .qual files: to check each of them, run qualify check " + filepath.Join(dir, "...")
		}
		return nil, parser.Gather([]*parser.Diagnostic{d})
	}
	return paths, nil
}

// hasPolicyBelow reports whether a directory under dir holds .qual files.
func hasPolicyBelow(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Dir(path) != dir && strings.HasSuffix(path, ".qual") && !isTestFile(path) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// ReadFiles reads the files at paths, refusing any over parser.MaxFileSize
// and any that is not a regular file or a link to one (test files are
// listed from directories, where a named pipe would block the read for
// ever). The error lists every file that could not be read.
func ReadFiles(paths []string) ([]SourceFile, error) {
	var regular []string
	var diags []*parser.Diagnostic
	for _, p := range paths {
		if d := regularFileDiag(p); d != nil {
			diags = append(diags, d)
			continue
		}
		regular = append(regular, p)
	}
	files, more := readFiles(regular)
	diags = append(diags, more...)
	if len(diags) > 0 {
		return nil, parser.Gather(diags)
	}
	return files, nil
}

// readFiles reads what it can and reports the rest, so that a file that
// cannot be read does not hide the errors of the others.
func readFiles(paths []string) ([]SourceFile, []*parser.Diagnostic) {
	var files []SourceFile
	var diags []*parser.Diagnostic
	for _, p := range paths {
		b, d := readSource(p)
		if d != nil {
			diags = append(diags, d)
			continue
		}
		files = append(files, SourceFile{Name: p, Text: string(b)})
	}
	return files, diags
}

// readSource reads the file at path, never more than parser.MaxFileSize+1
// bytes of it: the size a regular file states is checked first, and the
// read is bounded for the files whose size is not known beforehand (a
// device such as /dev/zero states 0) or that grow while they are read.
func readSource(path string) ([]byte, *parser.Diagnostic) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileDiag(path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > parser.MaxFileSize {
		return nil, tooLargeDiag(path, fmt.Sprintf("file is %d bytes; the limit is %d", info.Size(), parser.MaxFileSize))
	}
	b, err := readAtMost(f, parser.MaxFileSize)
	if err == errTooLarge {
		return nil, tooLargeDiag(path, fmt.Sprintf("file is larger than %d MiB; the limit is %d bytes", parser.MaxFileSize>>20, parser.MaxFileSize))
	}
	if err != nil {
		return nil, fileDiag(path, err)
	}
	return b, nil
}

// errTooLarge is the error of readAtMost for input over its limit.
var errTooLarge = errors.New("input over the size limit")

// readAtMost reads r to its end, but never more than max+1 bytes: beyond
// max bytes it stops and returns errTooLarge.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

func tooLargeDiag(path, msg string) *parser.Diagnostic {
	return &parser.Diagnostic{Code: parser.CodeFileTooLarge, Severity: parser.Error, Message: msg,
		Range: parser.Range{Start: parser.Pos{File: path, Line: 1, Column: 1}}}
}

// regularFileDiag reports the file at path, a symbolic link followed,
// when it is not a regular file, and nil when it is one.
func regularFileDiag(path string) *parser.Diagnostic {
	info, err := os.Stat(path)
	if err != nil {
		return fileDiag(path, err)
	}
	if info.Mode().IsRegular() {
		return nil
	}
	return fileDiag(path, fmt.Errorf("it is %s, not a regular file", FileKind(info.Mode())))
}

// FileKind names the type of a file that is not a regular file ("a named
// pipe"), for errors that refuse to read it.
func FileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}

func fileDiag(path string, err error) *parser.Diagnostic {
	msg := err.Error()
	if pe, ok := err.(*os.PathError); ok {
		msg = pe.Err.Error()
	}
	return &parser.Diagnostic{Code: parser.CodeFile, Severity: parser.Error,
		Message: "cannot read this file: " + msg, Range: parser.Range{Start: parser.Pos{File: path}}}
}

func fileError(path string, err error) error {
	return parser.Gather([]*parser.Diagnostic{fileDiag(path, err)})
}

// unit is one parsed file with the name the trace uses for it.
type unit struct {
	file *parser.File
	src  *parser.Source
	// rel is the file's base name: trace positions use it so that stored
	// results do not depend on where the policy was loaded from.
	rel string
}

// compiler holds the state of one compilation.
type compiler struct {
	pol    *Policy
	diags  []*parser.Diagnostic
	units  []*unit
	schema *Schema
	// env is the type environment conditions are checked against; it
	// grows as lets are compiled. It changes only through setEnv, which
	// counts its versions, so that the expr configuration made from it
	// (envCfg, of version cfgVersion) is made once per version, not once
	// per condition: making one walks the whole environment.
	env        types.Map
	envVersion int
	envCfg     *conf.Config
	cfgVersion int
	// names maps every global identifier to its declaration.
	names map[string]*decl
	// factReads collects the facts conditions read, by name.
	factReads map[string]Ref

	// The declarations whose conditions are compiled after every name is known.
	lets       []pendingLet
	frameworks []pendingFramework
	groups     []pendingGroup
	ladders    []pendingLadder
}

// declKind says what a global identifier names.
type declKind int

const (
	declFact declKind = iota
	declLet
	declFramework
	declLadder
)

func (k declKind) String() string {
	return [...]string{"fact", "let", "framework", "ladder"}[k]
}

type decl struct {
	kind  declKind
	index int
	pos   parser.Pos
}

func (c *compiler) diag(src *parser.Source, code parser.Code, rng parser.Range, format string, args ...any) *parser.Diagnostic {
	d := parser.NewDiagnostic(src, code, rng, format, args...)
	c.diags = append(c.diags, d)
	return d
}

// reserved names cannot be lets, frameworks, ladders or fact roots.
var reserved = map[string]string{
	"score": "score groups are read as score.GROUP", "now": "now is the evaluation time",
	"true": "a literal", "false": "a literal", "nil": "a literal",
	"and": "an operator", "or": "an operator", "not": "an operator", "in": "an operator",
	"matches": "an operator", "contains": "an operator", "startsWith": "an operator", "endsWith": "an operator",
	"let": "a keyword", "if": "a keyword", "else": "a keyword",
	"days_since": "a helper", "days_until": "a helper", "within": "a helper",
	"__each__": "internal",
}

// CompileFiles compiles a policy made of several files. Files named
// *_test.qual are not part of a policy and are refused.
func CompileFiles(files []SourceFile) (*Policy, error) {
	return compileFiles(files, nil)
}

// compileFiles compiles files; diags are problems already found reading
// them. Syntax errors stop compilation after every file is parsed: names
// defined in a file that does not parse would otherwise show up as unknown
// in the others.
func compileFiles(files []SourceFile, diags []*parser.Diagnostic) (*Policy, error) {
	c := &compiler{
		diags:     diags,
		pol:       &Policy{Names: map[string]parser.Pos{}},
		env:       types.Map{},
		names:     map[string]*decl{},
		factReads: map[string]Ref{},
	}
	sorted := append([]SourceFile(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return filepath.Base(sorted[i].Name) < filepath.Base(sorted[j].Name) })
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%d\x00%s", filepath.Base(f.Name), len(f.Text), f.Text)
		pf, err := parser.Parse(f.Name, f.Text)
		if err != nil {
			c.diags = append(c.diags, parser.Diagnostics(err)...)
			continue
		}
		c.units = append(c.units, &unit{file: pf, src: pf.Source, rel: filepath.Base(f.Name)})
		c.pol.Files = append(c.pol.Files, pf)
	}
	c.pol.Hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if len(c.diags) > 0 {
		return nil, parser.Gather(c.diags)
	}
	c.declare()
	c.compileConditions()
	if err := parser.Gather(c.diags); err != nil {
		return nil, err
	}
	return c.pol, nil
}

// each visits the statements of every file in order.
func (c *compiler) each(fn func(u *unit, s parser.Stmt)) {
	for _, u := range c.units {
		for _, s := range u.file.Stmts {
			fn(u, s)
		}
	}
}

// spanAt is the range of single-line text written at p.
func spanAt(p lexer.Position, text string) parser.Range {
	start := parser.ToPos(p)
	end := start
	end.Column += utf8.RuneCountInString(text)
	end.Offset += len(text)
	return parser.Range{Start: start, End: end}
}

// declare records the policy statement, the facts and every name, and
// checks the structure of frameworks, groups and ladders.
func (c *compiler) declare() {
	var policyAt *parser.PolicyStmt
	var policyUnit *unit
	c.each(func(u *unit, s parser.Stmt) {
		switch s := s.(type) {
		case *parser.PolicyStmt:
			if policyAt != nil {
				c.diag(u.src, CodeDuplicatePolicy, s.Name.Range(), "a policy has one policy statement; this is a second").
					Notes = []parser.Note{c.note(parser.ToPos(policyAt.Pos), "the first is here")}
				return
			}
			policyAt, policyUnit = s, u
			c.pol.Name = s.Name.Value()
			if s.Version != nil {
				c.pol.Version = s.Version.Value()
			}
		case *parser.FactsStmt:
			if c.schema == nil {
				c.schema = newSchema()
			}
			for _, f := range s.Facts {
				c.declareFact(c.schema, u.src, f)
			}
		case *parser.TestStmt:
			c.diag(u.src, CodeMisplaced, s.Name.Range(), "test blocks belong in _test.qual files, beside the policy")
		}
	})
	if policyAt == nil && len(c.units) > 0 {
		u := c.units[0]
		at := u.src.RangeAt(0, 0)
		if len(u.file.Stmts) > 0 {
			p := u.file.Stmts[0].Start()
			at = parser.Range{Start: p, End: p}
		}
		c.diag(u.src, CodeNoPolicy, at, "the policy has no policy statement").
			Suggestion = `add a line such as: policy "my-policy" version "1"`
	}
	c.pol.Schema = c.schema
	if c.schema != nil {
		for _, root := range c.schema.Root.Children {
			c.declareName(nil, root.Name, declFact, root.Index, root.Pos, parser.Range{})
			// The root's type, nested objects and all, is worked out once.
			c.setEnv(root.Name, natureType{root.exprType().Nature()})
		}
		for _, n := range c.schema.Nodes {
			c.pol.Names[n.Path] = n.Pos
		}
	} else {
		c.setEnv(types.Extra, types.Any)
	}
	c.setEnv("now", types.TypeOf(timeZero))

	scoreType := types.Map{"total": types.Float64}
	var stage bool
	var totalAt *parser.TotalStmt
	c.each(func(u *unit, s parser.Stmt) {
		switch s := s.(type) {
		case *parser.LetStmt:
			l := &Let{Name: s.Name.Text, Index: len(c.pol.Lets), At: posString(u.rel, parser.ToPos(s.Pos)), Pos: parser.ToPos(s.Pos)}
			if c.declareName(u, l.Name, declLet, l.Index, s.Name.Range().Start, s.Name.Range()) {
				c.pol.Lets = append(c.pol.Lets, l)
				c.lets = append(c.lets, pendingLet{u: u, s: s, let: l})
			}
		case *parser.FrameworkStmt:
			c.declareFramework(u, s)
		case *parser.ScoreStmt:
			g := c.declareGroup(u, s)
			if g != nil {
				scoreType[g.Name] = types.Float64
			}
		case *parser.TotalStmt:
			if totalAt != nil {
				c.diag(u.src, CodeDuplicate, spanOfKeyword(s.Pos, "total"), "total is declared twice").
					Notes = []parser.Note{c.note(parser.ToPos(totalAt.Pos), "first declared here")}
				return
			}
			totalAt = s
			c.pol.Total = c.clamps(u, s.Clamps)
			c.pol.TotalAt = posString(u.rel, parser.ToPos(s.Pos))
		case *parser.ClassifyStmt:
			if c.declareLadder(u, s) && s.Name.Text == "stage" {
				stage = true
			}
		}
	})
	c.setEnv("score", scoreType)
	if !stage && len(c.units) > 0 {
		u, at := c.units[0], parser.Range{}
		if policyAt != nil {
			u, at = policyUnit, policyAt.Name.Range()
		} else {
			at = u.src.RangeAt(0, 0)
		}
		c.diag(u.src, CodeNoStage, at, "the policy has no classify stage ladder").
			Suggestion = "every policy ends in a funnel stage: add classify stage { ... } with a fallback step last"
	}
}

// declareName records a global identifier, reporting reserved names and
// duplicates. It returns false when the name cannot be used.
func (c *compiler) declareName(u *unit, name string, kind declKind, index int, pos parser.Pos, rng parser.Range) bool {
	if strings.Contains(name, ".") {
		c.diag(u.src, parser.CodeSyntax, rng, "%s name %q must be a single name, without dots", kind, name)
		return false
	}
	if why, ok := reserved[name]; ok && u != nil {
		c.diag(u.src, CodeReserved, rng, "%q is reserved (%s) and cannot name a %s", name, why, kind)
		return false
	}
	if prev, ok := c.names[name]; ok {
		if u == nil {
			return false
		}
		d := c.diag(u.src, CodeDuplicate, rng, "%s is already defined as a %s", name, prev.kind)
		d.Notes = []parser.Note{c.note(prev.pos, "first defined here")}
		return false
	}
	if u == nil {
		if why, ok := reserved[name]; ok {
			// A fact root with a reserved name: report it at the fact.
			n := c.schema.Root.Child(name)
			src := c.sourceOf(n.Pos.File)
			end := n.Pos
			end.Column += len(name)
			end.Offset += len(name)
			c.diag(src, CodeReserved, parser.Range{Start: n.Pos, End: end}, "%q is reserved (%s) and cannot name a fact", name, why)
			return false
		}
	}
	c.names[name] = &decl{kind: kind, index: index, pos: pos}
	c.pol.Names[name] = pos
	return true
}

// note returns a note at pos that quotes its source line.
func (c *compiler) note(pos parser.Pos, msg string) parser.Note {
	return parser.NoteAt(c.sourceOf(pos.File), pos, msg)
}

func (c *compiler) sourceOf(file string) *parser.Source {
	for _, u := range c.units {
		if u.src.Name == file {
			return u.src
		}
	}
	return nil
}

func (c *compiler) declareFramework(u *unit, s *parser.FrameworkStmt) {
	f := &Framework{Name: s.Name.Text, Index: len(c.pol.Frameworks), At: posString(u.rel, parser.ToPos(s.Pos)), Pos: parser.ToPos(s.Pos)}
	if !c.declareName(u, f.Name, declFramework, f.Index, s.Name.Range().Start, s.Name.Range()) {
		return
	}
	pending := pendingFramework{u: u, s: s, fw: f}
	seen := map[string]parser.Pos{}
	fwType := types.Map{"met": types.Int, "unmet": types.Int, "unknown": types.Int, "total": types.Int, "qualified": types.Bool}
	for _, cr := range s.Criteria {
		name := cr.Name.Text
		if prev, ok := seen[name]; ok {
			c.diag(u.src, CodeDuplicate, cr.Name.Range(), "criterion %s is defined twice in %s", name, f.Name).
				Notes = []parser.Note{c.note(prev, "first defined here")}
			continue
		}
		if _, ok := fwType[name]; ok {
			c.diag(u.src, CodeReserved, cr.Name.Range(), "%q is reserved in a framework (%s.%s is a count or the verdict) and cannot name a criterion", name, f.Name, name)
			continue
		}
		if strings.Contains(name, ".") {
			c.diag(u.src, parser.CodeSyntax, cr.Name.Range(), "criterion name %q must be a single name, without dots", name)
			continue
		}
		seen[name] = parser.ToPos(cr.Pos)
		fwType[name] = types.String
		f.Criteria = append(f.Criteria, &Criterion{Name: name, Label: cr.Label.Value(),
			At: posString(u.rel, parser.ToPos(cr.Pos)), Pos: parser.ToPos(cr.Pos)})
		pending.crits = append(pending.crits, cr)
	}
	if std, crit, ok := standardFramework(f.Name); ok {
		f.Standard = true
		want := map[string]bool{}
		for _, name := range crit {
			want[name] = true
		}
		var missing []string
		for _, name := range crit {
			if _, ok := seen[name]; !ok {
				missing = append(missing, name)
			}
		}
		named := std
		if f.Name != std {
			named = f.Name + " (the standard framework " + std + ")"
		}
		why := fmt.Sprintf("%s is a standard framework; its criteria are %s. Give a custom checklist another name", std, strings.Join(crit, ", "))
		// A misspelt criterion is one extra and one missing: report it once,
		// as the extra one with the missing name as the suggestion.
		suggested := map[string]bool{}
		for _, cr := range s.Criteria {
			if want[cr.Name.Text] {
				continue
			}
			free := missing
			if len(free) == 0 {
				free = crit
			}
			d := c.diag(u.src, CodeExtraCriterion, cr.Name.Range(), "%s has no criterion %q", named, cr.Name.Text)
			if sug := Suggest(cr.Name.Text, free); sug != "" {
				d.Suggestion = fmt.Sprintf("did you mean %q?", sug)
				suggested[sug] = true
			}
			d.Why = why
		}
		var unsuggested []string
		for _, name := range missing {
			if !suggested[name] {
				unsuggested = append(unsuggested, name)
			}
		}
		if len(unsuggested) > 0 {
			d := c.diag(u.src, CodeMissingCriteria, s.Name.Range(), "%s is missing %s %s", named, pluralWord(len(unsuggested), "criterion", "criteria"), strings.Join(unsuggested, ", "))
			d.Why = why
		}
	}
	if len(s.Criteria) == 0 {
		c.diag(u.src, CodeEmptyBlock, s.Name.Range(), "framework %s has no criteria", f.Name)
	}
	c.setEnv(f.Name, fwType)
	c.pol.Frameworks = append(c.pol.Frameworks, f)
	c.frameworks = append(c.frameworks, pending)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (c *compiler) declareGroup(u *unit, s *parser.ScoreStmt) *Group {
	g := &Group{Name: s.Name.Text, Index: len(c.pol.Groups), At: posString(u.rel, parser.ToPos(s.Pos)), Pos: parser.ToPos(s.Pos)}
	if g.Name == "total" {
		c.diag(u.src, CodeReserved, s.Name.Range(), "%q is reserved (score.total is the sum of the groups) and cannot name a score group", g.Name)
		return nil
	}
	if strings.Contains(g.Name, ".") {
		c.diag(u.src, parser.CodeSyntax, s.Name.Range(), "score group name %q must be a single name, without dots", g.Name)
		return nil
	}
	if prev := c.pol.Group(g.Name); prev != nil {
		c.diag(u.src, CodeDuplicate, s.Name.Range(), "score group %s is defined twice", g.Name).
			Notes = []parser.Note{c.note(prev.Pos, "first defined here")}
		return nil
	}
	g.Clamp = c.clamps(u, s.Clamps)
	pending := pendingGroup{u: u, g: g}
	labels := map[string]parser.Pos{}
	for _, r := range s.Rules {
		label := r.Label.Value()
		if prev, ok := labels[label]; ok {
			c.diag(u.src, CodeDuplicate, r.Label.Range(), "rule %q is defined twice in group %s", label, g.Name).
				Notes = []parser.Note{c.note(prev, "first defined here")}
			continue
		}
		labels[label] = parser.ToPos(r.Pos)
		g.Rules = append(g.Rules, &Rule{Label: label, At: posString(u.rel, parser.ToPos(r.Pos)), Pos: parser.ToPos(r.Pos)})
		pending.rules = append(pending.rules, r)
	}
	c.pol.Groups = append(c.pol.Groups, g)
	c.groups = append(c.groups, pending)
	c.pol.Names["score."+g.Name] = g.Pos
	return g
}

// clamps reads max and min, each at most once, with min not above max.
func (c *compiler) clamps(u *unit, cs []*parser.Clamp) Clamp {
	var out Clamp
	var maxAt, minAt *parser.Clamp
	for _, cl := range cs {
		v := cl.Value.Float()
		switch cl.Kind {
		case "max":
			if maxAt != nil {
				c.diag(u.src, CodeClamp, spanOfKeyword(cl.Pos, "max"), "max is given twice").
					Notes = []parser.Note{c.note(parser.ToPos(maxAt.Pos), "first given here")}
				continue
			}
			maxAt, out.Max = cl, &v
		case "min":
			if minAt != nil {
				c.diag(u.src, CodeClamp, spanOfKeyword(cl.Pos, "min"), "min is given twice").
					Notes = []parser.Note{c.note(parser.ToPos(minAt.Pos), "first given here")}
				continue
			}
			minAt, out.Min = cl, &v
		}
	}
	if out.Min != nil && out.Max != nil && *out.Min > *out.Max {
		c.diag(u.src, CodeClamp, minAt.Value.Range(), "min %s is above max %s", minAt.Value.Text(), maxAt.Value.Text()).
			Notes = []parser.Note{c.note(parser.ToPos(maxAt.Pos), "max is given here")}
	}
	return out
}

func (c *compiler) declareLadder(u *unit, s *parser.ClassifyStmt) bool {
	l := &Ladder{Name: s.Name.Text, Index: len(c.pol.Ladders), At: posString(u.rel, parser.ToPos(s.Pos)), Pos: parser.ToPos(s.Pos)}
	if !c.declareName(u, l.Name, declLadder, l.Index, s.Name.Range().Start, s.Name.Range()) {
		return false
	}
	pending := pendingLadder{u: u, l: l}
	for i, st := range s.Steps {
		label := st.Label.Value()
		if st.Label.Quoted == nil && (label == "because" || label == "when") {
			c.diag(u.src, parser.CodeSyntax, st.Label.Range(), "%s needs what follows it: because \"REASON\", when CONDITION", label).
				Why = "a step is LABEL [when CONDITION] [because \"REASON\"]; here the word stands where a label should"
			continue
		}
		if st.When == nil && i < len(s.Steps)-1 {
			d := c.diag(u.src, CodeFallbackNotLast, st.Label.Range(), "fallback step %s has no condition but is not the last step of %s", label, l.Name)
			d.Why = "the first step that holds wins, so the steps after a fallback could never be reached"
			d.Notes = []parser.Note{c.note(parser.ToPos(s.Steps[i+1].Pos), "this step is never reached")}
		}
		step := &Step{Label: label, At: posString(u.rel, parser.ToPos(st.Pos)), Pos: parser.ToPos(st.Pos)}
		if st.Because != nil {
			step.Because = st.Because.Value()
		}
		l.Steps = append(l.Steps, step)
		pending.steps = append(pending.steps, st)
	}
	if len(s.Steps) == 0 {
		c.diag(u.src, CodeEmptyBlock, s.Name.Range(), "ladder %s has no steps", l.Name)
	}
	c.setEnv(l.Name, types.String)
	c.pol.Ladders = append(c.pol.Ladders, l)
	c.ladders = append(c.ladders, pending)
	return true
}

// spanOfKeyword is the range of a keyword written at p.
func spanOfKeyword(p lexer.Position, kw string) parser.Range { return spanAt(p, kw) }
