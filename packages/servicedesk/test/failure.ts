import { expect } from 'vitest';
import { ServiceDeskError } from '../src/service-desk-error.js';

/** The ServiceDesk Plus error a call fails with; the test fails if it succeeds or fails otherwise. */
export async function failure(promise: Promise<unknown>): Promise<ServiceDeskError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceDeskError);
  return error as ServiceDeskError;
}
