package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Handwritten is the acme policy written by hand in Go, over the lead as
// encoding/json decodes it: the speed limit. It keeps qualify's semantics:
// a missing (absent or null) fact is unknown, conditions combine in
// Kleene's logic, unknown rules score nothing and unknown criteria count in
// BANT's unknown, groups are clamped, the webinar rule counts the newest 3
// webinars with a 30-day halflife, and a missing contact.email or a fact of
// the wrong type is an error for the lead.
type Handwritten struct {
	now time.Time
}

// NewHandwritten returns the hand-written policy evaluating at now.
func NewHandwritten(now time.Time) *Handwritten { return &Handwritten{now: now} }

// Name is "handwritten".
func (h *Handwritten) Name() string { return "handwritten" }

// tri is a three-valued truth.
type tri int8

const (
	unknown tri = iota
	no
	yes
)

func known(ok, b bool) tri {
	switch {
	case !ok:
		return unknown
	case b:
		return yes
	}
	return no
}

func or3(a, b tri) tri {
	switch {
	case a == yes || b == yes:
		return yes
	case a == no && b == no:
		return no
	}
	return unknown
}

func and3(a, b tri) tri {
	switch {
	case a == no || b == no:
		return no
	case a == yes && b == yes:
		return yes
	}
	return unknown
}

const halflife = 30 * 24 * time.Hour

// Evaluate scores one lead.
func (h *Handwritten) Evaluate(lead map[string]any, out *Outcome) error {
	var rd reader
	company := rd.object(lead, "company", "company")
	contact := rd.object(lead, "contact", "contact")
	budget := rd.object(lead, "budget", "budget")
	timeline := rd.object(lead, "timeline", "timeline")
	activity := rd.object(lead, "activity", "activity")

	industry, hasIndustry := rd.str(company, "industry", "company.industry")
	employees, hasEmployees := rd.integer(company, "employees", "company.employees")
	revenue, hasRevenue := rd.number(company, "revenue", "company.revenue")
	rd.str(company, "country", "company.country")
	role, hasRole := rd.str(contact, "role", "contact.role")
	email, hasEmail := rd.str(contact, "email", "contact.email")
	if !hasEmail && rd.err == nil {
		rd.err = errors.New("contact.email: required fact is missing")
	}
	competitor, hasCompetitor := rd.boolean(contact, "competitor", "contact.competitor")
	amount, hasAmount := rd.number(budget, "amount", "budget.amount")
	approved, hasApproved := rd.boolean(budget, "approved", "budget.approved")
	days, hasDays := rd.integer(timeline, "days", "timeline.days")
	pains, hasPains := rd.strings(lead, "pains", "pains")
	rd.integer(activity, "page_views", "activity.page_views")
	pricing, hasPricing := rd.integer(activity, "pricing_views", "activity.pricing_views")
	demo, hasDemo := rd.boolean(activity, "demo_requested", "activity.demo_requested")
	unsub, hasUnsub := rd.boolean(activity, "unsubscribed", "activity.unsubscribed")
	lastVisit, hasLastVisit := rd.time(activity, "last_visit", "activity.last_visit")
	// The newest 3 webinars, newest first, while the events are checked.
	var newest [3]time.Time
	webinars := 0
	hasEvents := false
	if x, ok := lead["events"]; ok && x != nil {
		list, isList := x.([]any)
		if !isList {
			rd.fail("events", "list<event>", x)
		}
		hasEvents = isList
		for i, el := range list {
			typ, at, ok := rd.event(el, i)
			if !ok || typ != "webinar" {
				continue
			}
			j := min(webinars, 3)
			for j > 0 && at.After(newest[j-1]) {
				if j < 3 {
					newest[j] = newest[j-1]
				}
				j--
			}
			if j < 3 {
				newest[j] = at
			}
			webinars++
		}
	}
	if rd.err != nil {
		return rd.err
	}

	// lets
	decisionMaker := known(hasRole, role == "owner" || role == "ceo" || role == "cto" || role == "vp" || role == "director")
	freeMail := known(true, strings.HasSuffix(email, "@gmail.com") || strings.HasSuffix(email, "@yahoo.com"))

	// framework BANT qualified when met >= 3
	var o Outcome
	count := func(t tri) {
		switch t {
		case yes:
			o.Met++
		case no:
			o.Unmet++
		default:
			o.Unknown++
		}
	}
	count(or3(known(hasApproved, approved), known(hasAmount, amount >= 10000)))
	count(decisionMaker)
	count(known(hasPains, len(pains) > 0))
	count(and3(known(hasDays, days > 0), known(hasDays, days <= 90)))
	o.Qualified = o.Met >= 3

	// score fit max 60
	var fit float64
	if hasIndustry && (industry == "saas" || industry == "fintech" || industry == "healthtech") {
		fit += 15
	}
	if hasEmployees && employees > 100 {
		fit += 10
	}
	if hasRevenue && revenue > 5_000_000 {
		fit += 10
	}
	if decisionMaker == yes {
		fit += 15
	}
	if freeMail == yes {
		fit -= 10
	}
	o.Fit = min(fit, 60)

	// score engagement max 100 min 0
	var eng float64
	if hasDemo && demo {
		eng += 20
	}
	if hasPricing && pricing >= 1 {
		eng += 10
	}
	if hasLastVisit && int(h.now.Sub(lastVisit)/(24*time.Hour)) <= 60 {
		eng += 5
	}
	if hasUnsub && unsub {
		eng -= 20
	}
	if hasEvents && webinars > 0 {
		var sum float64
		for _, at := range newest[:min(webinars, 3)] {
			age := max(h.now.Sub(at), 0)
			sum += 5 * math.Pow(0.5, float64(age)/float64(halflife))
		}
		eng += sum
	}
	o.Engagement = max(min(eng, 100), 0)
	o.Total = o.Fit + o.Engagement

	switch {
	case o.Fit >= 45:
		o.Grade = "A"
	case o.Fit >= 30:
		o.Grade = "B"
	case o.Fit >= 15:
		o.Grade = "C"
	default:
		o.Grade = "D"
	}
	switch {
	case hasCompetitor && competitor:
		o.Stage = "disqualified"
	case o.Total >= 80 && o.Qualified:
		o.Stage = "sql"
	case o.Total >= 50:
		o.Stage = "mql"
	default:
		o.Stage = "unqualified"
	}
	*out = o
	return nil
}

// reader reads typed facts from a decoded lead. A missing fact (absent or
// null) reads as not present; a value of the wrong type records the first
// error, as qualify's fact errors do.
type reader struct {
	err error
}

func (r *reader) fail(path, want string, x any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: expected %s, found %v", path, want, x)
	}
}

func (r *reader) object(m map[string]any, key, path string) map[string]any {
	x := m[key]
	if x == nil {
		return nil
	}
	o, ok := x.(map[string]any)
	if !ok {
		r.fail(path, "an object", x)
	}
	return o
}

func (r *reader) str(m map[string]any, key, path string) (string, bool) {
	x := m[key] // a nil map reads nil
	if x == nil {
		return "", false
	}
	s, ok := x.(string)
	if !ok {
		r.fail(path, "string", x)
	}
	return s, ok
}

func (r *reader) boolean(m map[string]any, key, path string) (bool, bool) {
	x := m[key]
	if x == nil {
		return false, false
	}
	b, ok := x.(bool)
	if !ok {
		r.fail(path, "bool", x)
	}
	return b, ok
}

func (r *reader) number(m map[string]any, key, path string) (float64, bool) {
	x := m[key]
	if x == nil {
		return 0, false
	}
	switch v := x.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f, true
		}
	}
	r.fail(path, "number", x)
	return 0, false
}

// integer accepts an integral number, as qualify's int facts do.
func (r *reader) integer(m map[string]any, key, path string) (int64, bool) {
	x := m[key]
	if x == nil {
		return 0, false
	}
	switch v := x.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	case int:
		return int64(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, true
		}
	}
	r.fail(path, "int", x)
	return 0, false
}

func (r *reader) time(m map[string]any, key, path string) (time.Time, bool) {
	x := m[key]
	if x == nil {
		return time.Time{}, false
	}
	if s, ok := x.(string); ok {
		if t, ok := parseTime(s); ok {
			return t, true
		}
	}
	r.fail(path, "time", x)
	return time.Time{}, false
}

func (r *reader) strings(m map[string]any, key, path string) ([]any, bool) {
	x := m[key]
	if x == nil {
		return nil, false
	}
	list, ok := x.([]any)
	if !ok {
		r.fail(path, "list<string>", x)
		return nil, false
	}
	for _, el := range list {
		if _, ok := el.(string); !ok {
			r.fail(path, "list<string>", x)
			return nil, false
		}
	}
	return list, true
}

// event checks one element of events: an object with a string type and a
// time at (both required by the event type).
func (r *reader) event(el any, i int) (string, time.Time, bool) {
	m, ok := el.(map[string]any)
	if !ok {
		r.fail(fmt.Sprintf("events[%d]", i), "an event", el)
		return "", time.Time{}, false
	}
	typ, ok := m["type"].(string)
	if !ok {
		r.fail(fmt.Sprintf("events[%d].type", i), "string", m["type"])
		return "", time.Time{}, false
	}
	s, _ := m["at"].(string)
	at, ok := parseTime(s)
	if !ok {
		r.fail(fmt.Sprintf("events[%d].at", i), "time", m["at"])
		return "", time.Time{}, false
	}
	return typ, at, true
}

// parseTime reads a time as qualify does: RFC 3339, or a date alone.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// compact renders a lead on one line for a disagreement report.
func compact(lead map[string]any) string {
	b, err := json.Marshal(lead)
	if err != nil {
		return fmt.Sprint(lead)
	}
	return string(b)
}
