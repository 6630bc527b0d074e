/**
 * Renders a screen for a test inside the providers the app gives it: the fake backend and the app
 * state of a logged-in user.
 */
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { AppStateProvider, BackendProvider } from "../context";
import { FakeBackend } from "./fakeBackend";

export function renderAs(user: string, ui: ReactElement, fake = new FakeBackend()) {
  const state = fake.loginAs(user);
  const result = render(
    <BackendProvider backend={fake}>
      <AppStateProvider value={state}>{ui}</AppStateProvider>
    </BackendProvider>,
  );
  return { fake, state, ...result };
}
