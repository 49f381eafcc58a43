-- Version 2 of the contract (SPEC §5).
--
-- survey_responses: the optional attribution of §5.1 — customer_type ('consumer', also for
-- interviews that do not say, or 'enterprise': 集团客户), the enterprise account's customer
-- manager and the store whose visit the interview rated ('' when absent).
ALTER TABLE survey_responses ADD COLUMN customer_type String DEFAULT 'consumer';
ALTER TABLE survey_responses ADD COLUMN manager_id String DEFAULT '';
ALTER TABLE survey_responses ADD COLUMN store_id String DEFAULT '';

-- kpi_window: the hotline handling time (avg_handle, §5.5), and rows per store: a row with
-- store_id '' is the branch's totals, as before; a row with a store_id holds that store's
-- counter ratings (store_n, store_satisfied, store_wait_sum) under the branch, the input of the
-- store spread (§5.3). Months recomputed before this migration have no store rows until they
-- are recomputed (csat rebuild).
ALTER TABLE kpi_window ADD COLUMN hotline_handle_sum UInt64 DEFAULT 0;
ALTER TABLE kpi_window ADD COLUMN store_id String DEFAULT '';
