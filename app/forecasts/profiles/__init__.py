"""Import profiles shipped with SkillsDelphi (package data: *.yaml)."""
