import { ValidationError, type Violation } from '../errors';
import { parseResource } from '../universal/parse-resource';

/** The violations parseResource reports for a document; fails when the document is accepted. */
export function violationsOf(doc: unknown): Violation[] {
  try {
    parseResource(doc);
  } catch (error) {
    if (error instanceof ValidationError) {
      return [...error.violations];
    }
    throw error;
  }
  throw new Error(`expected the document to be rejected: ${JSON.stringify(doc)}`);
}
