package bench

import (
	"errors"
	"math"
	"time"

	"github.com/hyperjumptech/grule-rule-engine/ast"
	"github.com/hyperjumptech/grule-rule-engine/builder"
	"github.com/hyperjumptech/grule-rule-engine/engine"
	"github.com/hyperjumptech/grule-rule-engine/pkg"
)

// GruleLead is the fact the GRL rules work on: the lead converted from its
// map, each optional fact with a Has flag (false when the fact is absent
// or null), and the fields the rules compute.
type GruleLead struct {
	HasIndustry   bool
	Industry      string
	HasEmployees  bool
	Employees     int64
	HasRevenue    bool
	Revenue       float64
	HasRole       bool
	Role          string
	Email         string
	HasCompetitor bool
	Competitor    bool
	HasAmount     bool
	Amount        float64
	HasApproved   bool
	Approved      bool
	HasDays       bool
	Days          int64
	HasPains      bool
	Pains         []string
	HasPricing    bool
	PricingViews  int64
	HasDemo       bool
	Demo          bool
	HasUnsub      bool
	Unsubscribed  bool
	HasLastVisit  bool
	LastVisit     time.Time
	HasEvents     bool
	Events        []GruleEvent
	Now           time.Time

	// Computed by the rules.
	DecisionMakerKnown, DecisionMaker bool
	FreeMailKnown, FreeMail           bool
	BANTMet, BANTUnmet, BANTUnknown   int64
	Qualified                         bool
	FitRaw, Fit                       float64
	EngagementRaw, Engagement         float64
	Total                             float64
	Grade, Stage                      string
}

// GruleEvent is one element of events.
type GruleEvent struct {
	Type string
	At   time.Time
}

// DaysSinceLastVisit is days_since(activity.last_visit): whole days,
// truncated toward zero.
func (l *GruleLead) DaysSinceLastVisit() int64 {
	return int64(l.Now.Sub(l.LastVisit) / (24 * time.Hour))
}

// EachPoints is an each rule over events: points for every event of the
// type, the newest limit of them, halved every halflifeDays of age. GRL
// has no loops or list predicates, so this part is Go.
func (l *GruleLead) EachPoints(typ string, points float64, limit int64, halflifeDays float64) float64 {
	var newest [8]time.Time
	lim := min(int(limit), len(newest))
	n := 0
	for _, ev := range l.Events {
		if ev.Type != typ {
			continue
		}
		j := min(n, lim)
		for j > 0 && ev.At.After(newest[j-1]) {
			if j < lim {
				newest[j] = newest[j-1]
			}
			j--
		}
		if j < lim {
			newest[j] = ev.At
		}
		n++
	}
	hl := float64(time.Duration(halflifeDays * float64(24*time.Hour)))
	var sum float64
	for _, at := range newest[:min(n, lim)] {
		age := max(l.Now.Sub(at), 0)
		sum += points * math.Pow(0.5, float64(age)/hl)
	}
	return sum
}

// gruleRules is the acme policy in GRL. Salience gives the policy's order:
// lets, criteria, the verdict, fit, its clamp, engagement, its clamp, the
// total, then the ladders. Every rule retracts itself once it has fired.
// A criterion is two rules (met, unmet); unknown is what is left. Missing
// facts are the Has flags: a rule whose facts are missing does not fire.
const gruleRules = `
rule LetDecisionMaker "let decision_maker" salience 1000 {
  when L.HasRole
  then
    L.DecisionMakerKnown = true;
    L.DecisionMaker = L.Role == "owner" || L.Role == "ceo" || L.Role == "cto" || L.Role == "vp" || L.Role == "director";
    Retract("LetDecisionMaker");
}
rule LetFreeMail "let free_mail" salience 990 {
  when true
  then
    L.FreeMailKnown = true;
    L.FreeMail = L.Email.HasSuffix("@gmail.com") || L.Email.HasSuffix("@yahoo.com");
    Retract("LetFreeMail");
}

rule BudgetMet "BANT budget met" salience 900 {
  when (L.HasApproved && L.Approved) || (L.HasAmount && L.Amount >= 10000.0)
  then L.BANTMet = L.BANTMet + 1; Retract("BudgetMet");
}
rule BudgetUnmet "BANT budget unmet" salience 899 {
  when L.HasApproved && !L.Approved && L.HasAmount && L.Amount < 10000.0
  then L.BANTUnmet = L.BANTUnmet + 1; Retract("BudgetUnmet");
}
rule AuthorityMet "BANT authority met" salience 898 {
  when L.DecisionMakerKnown && L.DecisionMaker
  then L.BANTMet = L.BANTMet + 1; Retract("AuthorityMet");
}
rule AuthorityUnmet "BANT authority unmet" salience 897 {
  when L.DecisionMakerKnown && !L.DecisionMaker
  then L.BANTUnmet = L.BANTUnmet + 1; Retract("AuthorityUnmet");
}
rule NeedMet "BANT need met" salience 896 {
  when L.HasPains && L.Pains.Len() > 0
  then L.BANTMet = L.BANTMet + 1; Retract("NeedMet");
}
rule NeedUnmet "BANT need unmet" salience 895 {
  when L.HasPains && L.Pains.Len() == 0
  then L.BANTUnmet = L.BANTUnmet + 1; Retract("NeedUnmet");
}
rule TimelineMet "BANT timeline met" salience 894 {
  when L.HasDays && L.Days > 0 && L.Days <= 90
  then L.BANTMet = L.BANTMet + 1; Retract("TimelineMet");
}
rule TimelineUnmet "BANT timeline unmet" salience 893 {
  when L.HasDays && (L.Days <= 0 || L.Days > 90)
  then L.BANTUnmet = L.BANTUnmet + 1; Retract("TimelineUnmet");
}
rule BANTVerdict "BANT qualified when met >= 3" salience 800 {
  when true
  then
    L.BANTUnknown = 4 - L.BANTMet - L.BANTUnmet;
    L.Qualified = L.BANTMet >= 3;
    Retract("BANTVerdict");
}

rule FitIndustry "Target industry" salience 700 {
  when L.HasIndustry && (L.Industry == "saas" || L.Industry == "fintech" || L.Industry == "healthtech")
  then L.FitRaw = L.FitRaw + 15.0; Retract("FitIndustry");
}
rule FitStaff "More than 100 staff" salience 699 {
  when L.HasEmployees && L.Employees > 100
  then L.FitRaw = L.FitRaw + 10.0; Retract("FitStaff");
}
rule FitRevenue "Revenue over 5M" salience 698 {
  when L.HasRevenue && L.Revenue > 5000000.0
  then L.FitRaw = L.FitRaw + 10.0; Retract("FitRevenue");
}
rule FitDecisionMaker "Decision maker" salience 697 {
  when L.DecisionMakerKnown && L.DecisionMaker
  then L.FitRaw = L.FitRaw + 15.0; Retract("FitDecisionMaker");
}
rule FitFreeMail "Free-mail address" salience 696 {
  when L.FreeMailKnown && L.FreeMail
  then L.FitRaw = L.FitRaw - 10.0; Retract("FitFreeMail");
}
rule FitClamp "score fit max 60" salience 600 {
  when true
  then L.Fit = Min(L.FitRaw, 60.0); Retract("FitClamp");
}

rule EngDemo "Requested a demo" salience 500 {
  when L.HasDemo && L.Demo
  then L.EngagementRaw = L.EngagementRaw + 20.0; Retract("EngDemo");
}
rule EngPricing "Viewed pricing" salience 499 {
  when L.HasPricing && L.PricingViews >= 1
  then L.EngagementRaw = L.EngagementRaw + 10.0; Retract("EngPricing");
}
rule EngRecent "Visited recently" salience 498 {
  when L.HasLastVisit && L.DaysSinceLastVisit() <= 60
  then L.EngagementRaw = L.EngagementRaw + 5.0; Retract("EngRecent");
}
rule EngUnsubscribed "Unsubscribed" salience 497 {
  when L.HasUnsub && L.Unsubscribed
  then L.EngagementRaw = L.EngagementRaw - 20.0; Retract("EngUnsubscribed");
}
rule EngWebinar "Webinar attended: each events where .type == webinar limit 3 halflife 30d" salience 496 {
  when L.HasEvents
  then L.EngagementRaw = L.EngagementRaw + L.EachPoints("webinar", 5.0, 3, 30.0); Retract("EngWebinar");
}
rule EngClamp "score engagement max 100 min 0" salience 400 {
  when true
  then L.Engagement = Max(Min(L.EngagementRaw, 100.0), 0.0); Retract("EngClamp");
}
rule Total "score.total" salience 300 {
  when true
  then L.Total = L.Fit + L.Engagement; Retract("Total");
}

rule GradeA "grade A" salience 200 {
  when L.Grade == "" && L.Fit >= 45.0
  then L.Grade = "A"; Retract("GradeA");
}
rule GradeB "grade B" salience 199 {
  when L.Grade == "" && L.Fit >= 30.0
  then L.Grade = "B"; Retract("GradeB");
}
rule GradeC "grade C" salience 198 {
  when L.Grade == "" && L.Fit >= 15.0
  then L.Grade = "C"; Retract("GradeC");
}
rule GradeD "grade D (fallback)" salience 197 {
  when L.Grade == ""
  then L.Grade = "D"; Retract("GradeD");
}

rule StageDisqualified "Works for a competitor" salience 100 {
  when L.Stage == "" && L.HasCompetitor && L.Competitor
  then L.Stage = "disqualified"; Retract("StageDisqualified");
}
rule StageSQL "sql" salience 99 {
  when L.Stage == "" && L.Total >= 80.0 && L.Qualified
  then L.Stage = "sql"; Retract("StageSQL");
}
rule StageMQL "mql" salience 98 {
  when L.Stage == "" && L.Total >= 50.0
  then L.Stage = "mql"; Retract("StageMQL");
}
rule StageUnqualified "unqualified (fallback)" salience 97 {
  when L.Stage == ""
  then L.Stage = "unqualified"; Retract("StageUnqualified");
}
`

// Grule is the acme policy as a grule knowledge base. One knowledge base
// instance is reused for every lead (Execute resets its working memory and
// retracted rules); each lead gets a new data context, as grule's docs
// show. Converting the map lead to GruleLead is part of its cost.
type Grule struct {
	now    time.Time
	kb     *ast.KnowledgeBase
	engine *engine.GruleEngine
	fact   GruleLead
}

// NewGrule builds the knowledge base.
func NewGrule(now time.Time) (*Grule, error) {
	lib := ast.NewKnowledgeLibrary()
	if err := builder.NewRuleBuilder(lib).BuildRuleFromResource("acme", "2026.11.1", pkg.NewBytesResource([]byte(gruleRules))); err != nil {
		return nil, err
	}
	kb, err := lib.NewKnowledgeBaseInstance("acme", "2026.11.1")
	if err != nil {
		return nil, err
	}
	eng := engine.NewGruleEngine()
	eng.ReturnErrOnFailedRuleEvaluation = true
	return &Grule{now: now, kb: kb, engine: eng}, nil
}

// Name is "grule".
func (g *Grule) Name() string { return "grule" }

// Evaluate converts the lead and runs the knowledge base on it.
func (g *Grule) Evaluate(lead map[string]any, out *Outcome) error {
	l := &g.fact
	if err := l.from(lead, g.now); err != nil {
		return err
	}
	dc := ast.NewDataContext()
	if err := dc.Add("L", l); err != nil {
		return err
	}
	if err := g.engine.Execute(dc, g.kb); err != nil {
		return err
	}
	*out = Outcome{
		Fit: l.Fit, Engagement: l.Engagement, Total: l.Total,
		Met: int(l.BANTMet), Unmet: int(l.BANTUnmet), Unknown: int(l.BANTUnknown),
		Qualified: l.Qualified, Grade: l.Grade, Stage: l.Stage,
	}
	return nil
}

// from fills l from a decoded lead, checking types as qualify does.
func (l *GruleLead) from(lead map[string]any, now time.Time) error {
	pains, events := l.Pains[:0], l.Events[:0]
	*l = GruleLead{Now: now}
	var rd reader
	company := rd.object(lead, "company", "company")
	contact := rd.object(lead, "contact", "contact")
	budget := rd.object(lead, "budget", "budget")
	timeline := rd.object(lead, "timeline", "timeline")
	activity := rd.object(lead, "activity", "activity")
	l.Industry, l.HasIndustry = rd.str(company, "industry", "company.industry")
	l.Employees, l.HasEmployees = rd.integer(company, "employees", "company.employees")
	l.Revenue, l.HasRevenue = rd.number(company, "revenue", "company.revenue")
	rd.str(company, "country", "company.country")
	l.Role, l.HasRole = rd.str(contact, "role", "contact.role")
	var hasEmail bool
	l.Email, hasEmail = rd.str(contact, "email", "contact.email")
	if !hasEmail && rd.err == nil {
		rd.err = errors.New("contact.email: required fact is missing")
	}
	l.Competitor, l.HasCompetitor = rd.boolean(contact, "competitor", "contact.competitor")
	l.Amount, l.HasAmount = rd.number(budget, "amount", "budget.amount")
	l.Approved, l.HasApproved = rd.boolean(budget, "approved", "budget.approved")
	l.Days, l.HasDays = rd.integer(timeline, "days", "timeline.days")
	var list []any
	list, l.HasPains = rd.strings(lead, "pains", "pains")
	for _, p := range list {
		pains = append(pains, p.(string))
	}
	l.Pains = pains
	rd.integer(activity, "page_views", "activity.page_views")
	l.PricingViews, l.HasPricing = rd.integer(activity, "pricing_views", "activity.pricing_views")
	l.Demo, l.HasDemo = rd.boolean(activity, "demo_requested", "activity.demo_requested")
	l.Unsubscribed, l.HasUnsub = rd.boolean(activity, "unsubscribed", "activity.unsubscribed")
	l.LastVisit, l.HasLastVisit = rd.time(activity, "last_visit", "activity.last_visit")
	if x, ok := lead["events"]; ok && x != nil {
		items, isList := x.([]any)
		if !isList {
			rd.fail("events", "list<event>", x)
		}
		l.HasEvents = isList
		for i, el := range items {
			if typ, at, ok := rd.event(el, i); ok {
				events = append(events, GruleEvent{Type: typ, At: at})
			}
		}
	}
	l.Events = events
	return rd.err
}
