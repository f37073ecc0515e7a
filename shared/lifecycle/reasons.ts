/**
 * Reason codes for the lifecycle's refusals and endings, after SAMR's 《市场监督管理投诉举报处理暂行办法》
 * (Interim Measures for Handling Complaints and Reports, 2019/2022): Art 15 lists when a complaint is not
 * accepted, Art 23 sets the 45-working-day mediation limit (testing and appraisal time not counted), Art 24
 * lists when mediation ends. Timeline entries carry these codes; the labels are what operators read.
 */

/** Art 15: a complaint is not accepted (不予受理) when ... */
export const NOT_ACCEPTED_REASONS = {
  art15_outside_remit: "Not a matter for market regulation, or outside the handling authority (Art 15(1))",
  art15_already_handled:
    "The same dispute was already accepted or handled by a court, arbitration body, regulator or mediation organisation (Art 15(2))",
  art15_not_consumer_dispute:
    "Not bought or used for personal consumption, or no consumer dispute with the respondent is shown (Art 15(3))",
  art15_time_barred:
    "More than three years since the consumer knew or should have known of the harm (Art 15(4))",
  art15_missing_materials: "The required information and materials were not provided (Art 15(5), Arts 9-10)",
  art15_other_legal_grounds: "Not to be accepted under another law, regulation or rule (Art 15(6))",
} as const;
export type NotAcceptedReason = keyof typeof NOT_ACCEPTED_REASONS;

/** Art 24: mediation ends (终止调解) when ... */
export const MEDIATION_TERMINATION_REASONS = {
  mediation_withdrawn: "The consumer withdrew the complaint (Art 24(1))",
  mediation_self_settled: "The parties settled between themselves (Art 24(1))",
  mediation_appraisal_disagreement:
    "The parties could not agree on the testing or appraisal body or who pays for it (Art 24(2))",
  mediation_refused:
    "A party did not take part without good reason, or the respondent refused mediation (Art 24(3))",
  mediation_no_agreement: "A party said clearly that no agreement can be reached (Art 24(4))",
  mediation_time_limit_reached: "No agreement within 45 working days of acceptance (Art 24(5))",
  mediation_not_acceptable: "A ground of Art 15 came to light after acceptance (Art 24(6))",
  mediation_other_legal_grounds: "Mediation must end under another law, regulation or rule (Art 24(7))",
} as const;
export type MediationTerminationReason = keyof typeof MEDIATION_TERMINATION_REASONS;

/** Why a complaint was closed: the ways it was settled, and the ways mediation ended. */
export const CLOSURE_REASONS = {
  resolved_accepted: "The consumer accepted the platform's resolution",
  resolved_without_feedback: "The consumer did not answer the platform's resolution within 7 days",
  mediation_settled: "The parties reached an agreement in the association's mediation",
  duplicate_complaint: "The same complaint was filed again and is handled there",
  ...MEDIATION_TERMINATION_REASONS,
} as const;
export type ClosureReason = keyof typeof CLOSURE_REASONS;

/** Closures that count as settled in the public statistics (the consumer got an outcome). */
export const SETTLED_CLOSURE_REASONS: ReadonlySet<string> = new Set<ClosureReason>([
  "resolved_accepted",
  "resolved_without_feedback",
  "mediation_settled",
  "mediation_self_settled",
]);

/** Closures an operator may choose (the schedule and the consumer have their own). */
export const OPERATOR_CLOSURE_REASONS = Object.keys(CLOSURE_REASONS).filter(
  (reason) => reason !== "resolved_accepted" && reason !== "resolved_without_feedback",
) as ClosureReason[];

/** Why the schedule moved a complaint (timeline reasons). */
export const SCHEDULE_REASONS = {
  response_deadline_missed: "The platform did not resolve the complaint by its response deadline",
  supervision_opened: "The association supervises the platform's handling (督办): 3 more working days",
  supervision_deadline_missed: "The platform did not resolve the complaint under supervision",
  resolved_without_feedback: CLOSURE_REASONS.resolved_without_feedback,
  mediation_time_limit_reached: MEDIATION_TERMINATION_REASONS.mediation_time_limit_reached,
} as const;
