import { describe, expect, it } from 'vitest';
import { detectLanguage } from './detect-language.js';

describe('detectLanguage', () => {
  it.each([
    ['en', 'Outlook keeps asking for my password after the mailbox moved. It does not accept it.'],
    [
      'de',
      'Outlook fragt seit der Umstellung immer wieder nach dem Passwort und die Anmeldung geht nicht. Bitte um Hilfe.',
    ],
    [
      'fr',
      "Depuis ce matin je ne peux pas imprimer, l'imprimante du deuxième étage ne fonctionne plus. Merci.",
    ],
    ['es', 'No puedo acceder a mi correo desde el lunes, la contraseña no funciona y el portal da un error.'],
    ['it', 'Non riesco ad accedere alla VPN da casa, il client dice che la password non è corretta. Grazie.'],
    ['nl', 'Ik kan sinds vanochtend niet inloggen op de VPN, het wachtwoord werkt niet meer. Graag hulp.'],
    ['pt', 'Não consigo acessar o e-mail desde ontem, a senha não funciona e o Outlook fecha sozinho.'],
  ])('a paragraph in %s', (language, text) => {
    expect(detectLanguage(text)).toBe(language);
  });

  // Subjects as requesters write them: a few words around product names, versions and error codes.
  it.each([
    ['en', 'Outlook does not start after the Windows 11 update'],
    ['en', 'Teams crashes when I share my screen'],
    ['de', 'Outlook startet nicht nach Update von Windows 11'],
    ['de', 'Kein Zugriff auf SharePoint seit heute'],
    ['de', 'Teams Anruf bricht ab'],
    ['fr', 'VPN ne se connecte plus depuis ce matin'],
    ['fr', 'Imprimante HP bloquée au deuxième étage'],
    ['es', 'La impresora no imprime desde el cambio de tóner'],
    ['es', 'El portátil no arranca después de la actualización de BIOS'],
    ['it', "Il PC non si avvia dopo l'aggiornamento di Windows"],
    ['it', 'Outlook non si apre più'],
    ['nl', 'Printer op de tweede verdieping drukt niet af'],
    ['nl', 'Laptop start niet op na BIOS update'],
    ['pt', 'Não consigo acessar o Teams desde ontem'],
  ])('a short, product-name-heavy subject in %s', (language, text) => {
    expect(detectLanguage(text)).toBe(language);
  });

  it('is unsure (null) when the text is too short, only names and codes, or no language leads', () => {
    expect(detectLanguage('')).toBeNull();
    expect(detectLanguage('VPN')).toBeNull();
    expect(detectLanguage('SAP GUI 7.70 0x80070005')).toBeNull();
    expect(detectLanguage('OneDrive sync stuck')).toBeNull();
    // Named Spanish by a hair over English: a guess, so unsure.
    expect(detectLanguage('Excel macro error')).toBeNull();
  });

  it('answers only languages a note can be written in', () => {
    // Polish: the detector is restricted to NOTE_LANGUAGES, so it is one of those or unsure.
    const answer = detectLanguage('Drukarka na drugim piętrze nie drukuje od wczoraj, proszę o pomoc.');
    expect([null, 'en', 'de', 'fr', 'es', 'it', 'nl', 'pt']).toContain(answer);
  });
});
