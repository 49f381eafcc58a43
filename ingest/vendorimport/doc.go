// Package vendorimport turns what survey vendors deliver — a monthly CSV or XLSX file with their
// own, often Chinese, column headers — into survey_response events (SPEC §2.2) on the survey topic.
//
// A YAML mapping (Mapping; testdata/mapping.yaml is the annotated example users copy) names the
// column of each field and each item, and translates the vendor's values (中国移动 → cmcc, branch
// names → branch ids, 满意 → a score). Every row becomes one event or one RowError with its row
// number and reason; every event passes schema's decoder before anything is published.
//
// Event ids are stable, so importing a file twice changes nothing downstream (csat counts each
// event_id once): vendor:<vendor>:<wave>:<interview id> when the file has an id column, else
// file:<first 12 hex digits of sha256(file)>:<row>. Strict refuses a file with any bad row and
// publishes nothing. The package reads the whole file into memory (vendor files are a few
// thousand rows).
package vendorimport
