package schema

// Topics names the Kafka topics of SPEC §2. Every field can be overridden from the environment.
type Topics struct {
	Survey    string `env:"CSAT_TOPIC_SURVEY" envDefault:"csat.survey"`       // survey_response, survey_void
	Hotline   string `env:"CSAT_TOPIC_HOTLINE" envDefault:"csat.hotline"`     // hotline_feedback
	Store     string `env:"CSAT_TOPIC_STORE" envDefault:"csat.store"`         // store_feedback
	Complaint string `env:"CSAT_TOPIC_COMPLAINT" envDefault:"csat.complaint"` // complaint_opened, complaint_closed
	Churn     string `env:"CSAT_TOPIC_CHURN" envDefault:"csat.churn"`         // churn
	Reference string `env:"CSAT_TOPIC_REFERENCE" envDefault:"csat.reference"` // subscriber_base
	// score_reported, adjustment, adjustment_void (version 2)
	Assessment string `env:"CSAT_TOPIC_ASSESSMENT" envDefault:"csat.assessment"`
	DLQ        string `env:"CSAT_TOPIC_DLQ" envDefault:"csat.dlq"` // dead letters written by csat
}

// DefaultTopics returns the default topic names.
func DefaultTopics() Topics {
	return Topics{Survey: "csat.survey", Hotline: "csat.hotline", Store: "csat.store",
		Complaint: "csat.complaint", Churn: "csat.churn", Reference: "csat.reference", Assessment: "csat.assessment", DLQ: "csat.dlq"}
}

// For returns the topic that carries events of type t ("" for TypeUnknown).
func (tp Topics) For(t Type) string {
	switch t {
	case TypeSurveyResponse, TypeSurveyVoid:
		return tp.Survey
	case TypeHotlineFeedback:
		return tp.Hotline
	case TypeStoreFeedback, TypeInspection:
		return tp.Store
	case TypeComplaintOpened, TypeComplaintClosed:
		return tp.Complaint
	case TypeChurn:
		return tp.Churn
	case TypeSubscriberBase:
		return tp.Reference
	case TypeScoreReported, TypeAdjustment, TypeAdjustmentVoid:
		return tp.Assessment
	}
	return ""
}

// Inputs lists the seven input topics (not the DLQ).
func (tp Topics) Inputs() []string {
	return []string{tp.Survey, tp.Hotline, tp.Store, tp.Complaint, tp.Churn, tp.Reference, tp.Assessment}
}
