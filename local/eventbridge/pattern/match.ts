/**
 * Matching one sub-rule against a flattened event, with EventBridge's array consistency: the values that
 * satisfy the conditions must not come from different elements of the same array. Conditions are taken in
 * path order and exists:false is judged against the array elements chosen so far, as EventBridge does.
 */
import type { SubRule } from "./compile";
import { ArrayMembership, type FlattenedEvent } from "./event-fields";

export function subRuleMatches(rule: SubRule, event: FlattenedEvent): boolean {
  // Searches that failed, keyed by condition index and membership: without this, a rule over several
  // arrays could revisit the same dead end once per combination of elements.
  let failedSearches: Set<string> | undefined;

  const matchesFrom = (conditionIndex: number, membership: ArrayMembership): boolean => {
    const condition = rule[conditionIndex];
    if (condition === undefined) return true;
    const searchKey = `${conditionIndex}|${membership.signature}`;
    if (failedSearches?.has(searchKey)) return false;

    const fields = event.fieldsAt(condition.path);
    if (
      condition.acceptsAbsence &&
      !fields.some((field) => membership.isConsistentWith(field.membership)) &&
      matchesFrom(conditionIndex + 1, membership)
    ) {
      return true;
    }
    const { matchesValue } = condition;
    if (matchesValue) {
      for (const field of fields) {
        const combined = membership.combinedWith(field.membership);
        if (combined && matchesValue(field.value) && matchesFrom(conditionIndex + 1, combined)) return true;
      }
    }
    failedSearches ??= new Set();
    failedSearches.add(searchKey);
    return false;
  };

  return matchesFrom(0, ArrayMembership.NONE);
}
