-- Scoring and the report read one quarter's answers. Joined through their random response ids,
-- that read costs a pass over every answer ever given (the table grows each quarter); with the
-- response's quarter and team on each answer (no new information: the response holds both) it
-- is one index range. SQLite cannot drop the default of an added column; every insert sets both.
ALTER TABLE survey_answers ADD COLUMN quarter TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_answers ADD COLUMN team TEXT NOT NULL DEFAULT '';
UPDATE survey_answers SET (quarter, team) =
    (SELECT r.quarter, r.team FROM survey_responses r WHERE r.id = survey_answers.response_id);
CREATE INDEX survey_answers_quarter ON survey_answers (quarter, question);

-- Invites counted per quarter and team (response rates) from the index alone.
CREATE INDEX survey_invites_quarter ON survey_invites (quarter, team);
